/**
 * Cost profiles: cycles per kernel primitive, one profile per flavour. Measured results (pingpong round
 * trips, the Table 2 cells) must come out of mechanism counts times these values; nothing here encodes
 * a benchmark's answer. Sources are the reference notes (../shared/reference/l4-semantics.md §10, whose
 * own sources are S5 = SOSP'97, S6 = "From L3 to seL4", S7 = Liedtke SOSP'93 / TR-933, D2 = the
 * Pistachio blog seed). Values marked [INF] are the reference's suggested simulator defaults; [EST]
 * marks our own estimates where the reference gives no figure, with the reasoning beside them.
 */
export interface CostProfile {
  /** Simulated clock in cycles per microsecond. */
  cyclesPerUs: number;
  /** One guest IA32 instruction. */
  instruction: number;
  /** Kernel entry and exit of a system call (int 0x30 + iret; sysenter/sysexit on X.2). */
  syscallEntryExit: number;
  /** The IPC path proper: partner lookup, state checks, rendezvous, direct switch. Per IPC operation. */
  ipcPath: number;
  /** Each untyped word beyond the register words, copied from memory. */
  ipcPerWord: number;
  /**
   * Waking a thread on another CPU, on the waker's CPU: locking the remote CPU's queue, enqueueing the
   * thread there and writing the APIC's interrupt command register (the inter-processor interrupt).
   */
  xcpuSend: number;
  /** From the inter-processor interrupt's send to its arrival at the remote CPU (no CPU is busy meanwhile). */
  xcpuLatency: number;
  /** The remote CPU's part: interrupt entry, taking the thread from the queue, EOI (before it can run). */
  xcpuReceive: number;
  /** One attempt of a thread spinning on a held SMP spinlock (test, pause, retry). */
  spinIteration: number;
  /** Setting up one string of a long message. */
  ipcPerString: number;
  /** Copying one byte of a string. */
  copyPerByte: number;
  /** Inserting one 4 KiB page mapping (map or grant). */
  mapPerPage: number;
  /** fpage_unmap, per call: mapping-database lookup and locking, TLB flush (besides entry/exit). */
  unmap: number;
  /** Removing or downgrading one mapping-database node. */
  unmapPerNode: number;
  /** Address-space switch: CR3 load plus TLB refill. */
  asSwitch: number;
  /** Switch into a small address space (segment reload); 0 = the flavour has no small spaces. */
  smallSpaceSwitch: number;
  /** Scheduler dispatch outside the IPC path: queue lookup and thread switch. */
  dispatch: number;
  exRegs: number;
  taskNew: number;
  /** Tearing down one page mapping when a task is deleted. */
  taskDeletePerPage: number;
  threadSwitch: number;
  threadSchedule: number;
  /** Hardware interrupt to IPC message for the handler thread. */
  irqDelivery: number;
  /** Exception entry and reflection to a user-level handler (the int 0x80 trampoline path). */
  exceptionReflect: number;
  /** Kernel part of a page fault: exception entry, building the page-fault IPC. */
  pageFault: number;
  /** Linux work per system call in the server (or the native kernel): dispatch, checks, return path. */
  linuxSyscall: number;
  /** Linux fork: task structure, files, signal state, mm structure (do_fork without the page tables). */
  linuxFork: number;
  /** Linux fork, per page of the parent: copying and write-protecting one page-table entry (copy_page_range). */
  linuxForkPerPage: number;
  /** Linux exit: releasing files, mm and task, notifying the parent (do_exit without the page tables). */
  linuxExit: number;
  /** Linux exit, per page: zapping one page-table entry (zap_page_range). */
  linuxExitPerPage: number;
  /** Linux execve: binary format lookup, mm replacement, argument copying (without page work). */
  linuxExec: number;
  /** Linux page-fault handling (handle_mm_fault) without the page copy itself. */
  linuxPageFault: number;
  /** Linux timer interrupt work (do_timer, timer list, bottom halves) per tick. */
  linuxTick: number;
  /** Linux SMP: another CPU's local timer tick (update_process_times: accounting, the counter decrement). */
  linuxLocalTick: number;
  /** Linux signal delivery: dequeue and frame setup (do_signal), without the copy to the user stack. */
  linuxSignal: number;
  /** Default timeslice, microseconds. */
  timesliceUs: number;
  /** Timeouts fire at the next multiple of this (the kernel tick), microseconds. */
  timerGranularityUs: number;
}

/**
 * Fiasco, L4 V2 ABI, on a Pentium Pro 200 (the machine of the seed thesis's Table 2, D1).
 *
 * [CAL] values are calibrated, once, against four cells of D1 Table 2 with the mechanism counts of the
 * table2 scenario (docs/table2.md has the equations): linuxSyscall from native getpid, linuxFork from
 * native fork, ipcPath from L4Linux V2 getpid, unmap from L4Linux V2 fork. Every other value has its
 * source beside it. The two L4Env cells are predictions: no cost was fitted to them.
 */
export const FIASCO_V2: CostProfile = {
  cyclesPerUs: 200, // Pentium Pro 200 MHz, D1 Table 2
  instruction: 1, // DESIGN.md §3: one cycle per guest instruction
  syscallEntryExit: 100, // int + iret [INF] §10 "kernel entry+exit 100"
  // [CAL] D1 V2 getpid 2,078 = loop + exceptionReflect + 2 x (syscallEntryExit + ipcPath + asSwitch) + linuxSyscall
  // + 18 x ipcPerWord (the two 12-word exception messages). One-way inter-AS IPC = 100 + 399 + 250 = 749 cy
  // (3.7 us): Fiasco's C++ IPC path, about 3x L4/x86's assembly path (S6: 121 cy one-way on a Pentium 160).
  ipcPath: 399,
  ipcPerWord: 4, // [INF] §10 long-IPC copy "1 cy/byte": 4 bytes a word
  // Cross-CPU wakeups. Fiasco of 2003 ran on one CPU, so V2 prices them as the same hardware work as X.2:
  // the reference has no cross-CPU figure, all three are estimates for a Pentium Pro SMP board.
  xcpuSend: 300, // [EST] two contended cache lines (remote queue lock, queue link) at ~100 cy each over the PPro's shared bus, plus the ICR write
  xcpuLatency: 400, // [EST] the P6 local APIC's 3-wire serial APIC bus: an IPI message takes ~2 us (~400 cy at 200 MHz)
  xcpuReceive: 500, // [EST] interrupt entry and exit (~2 x syscallEntryExit), the mailbox/queue work and the EOI write
  spinIteration: 200, // [EST] a pause-and-retest loop around a contended lock word (cache line bouncing), ~1 us on a PPro
  ipcPerString: 30, // [INF] §10 "+30/string"
  copyPerByte: 1, // [INF] §10 "long-IPC copy 1 cy/byte"
  mapPerPage: 150, // [INF] §10 "map per 4K page 150"
  // [CAL] D1 V2 fork, where ~209 fpage_unmap calls per fork dominate (docs/table2.md): mapping-database
  // lookup and locking plus the TLB flush and refill that follow, ~21 us per call on the Pentium Pro.
  unmap: 4100,
  unmapPerNode: 100, // [INF] §10 "unmap per node 100"
  asSwitch: 250, // [INF] §10 "CR3 + TLB refill 250"; S7 TR-933: hundreds of cycles
  smallSpaceSwitch: 0, // Fiasco did not implement small spaces [MEM] §10
  dispatch: 150, // [EST] §10 gives thread_schedule/switch 100 for the system call; +50 for the ready-queue work of a scheduler pick outside the IPC path
  exRegs: 150, // [INF] §10 "lthread_ex_regs 150"
  taskNew: 5000, // [INF] §10 "task_new 5,000"
  taskDeletePerPage: 50, // [INF] §10 "+50/page on teardown"
  threadSwitch: 100, // [INF] §10 "thread_schedule/switch 100"
  threadSchedule: 100, // [INF] §10
  irqDelivery: 200, // [INF] §10 "IRQ -> IPC to handler 200"
  exceptionReflect: 230, // S5 trampoline vs modified libc: 753 - 526 = 227 cy [MEM] §10
  pageFault: 100, // [INF] the kernel-entry part of §10's "PF -> pager IPC -> map -> resume ~700" (one entry, like syscallEntryExit); the two IPCs and the map are charged as such
  linuxSyscall: 270, // [CAL] D1 native getpid 377 = loop (~7 instructions) + syscallEntryExit + linuxSyscall
  linuxFork: 27_500, // [CAL] D1 native fork 102,123 (task structure, files, signal state, mm and VMAs, page directory)
  linuxForkPerPage: 150, // [INF] copy_page_range per present PTE: copy, get_page, write-protect (~0.75 us on a PPro)
  linuxExit: 12_000, // [INF] do_exit + release: files, mm, task structure, parent notification (~60 us)
  linuxExitPerPage: 100, // [INF] zap_page_range per PTE: clear, put_page
  linuxExec: 20_000, // [INF] do_execve without page work: binfmt lookup, mm replacement, argument copy
  linuxPageFault: 700, // [INF] do_page_fault + handle_mm_fault without the 4 KiB copy (copyPerByte)
  linuxTick: 500, // [INF] do_timer + timer list + bottom halves per 10 ms tick
  linuxLocalTick: 150, // [EST] update_process_times on one CPU: update_one_process (times, it_virt/it_prof), counter decrement, kstat (~150 instructions)
  linuxSignal: 300, // [INF] dequeue_signal + setup_rt_frame without the frame copy
  timesliceUs: 10_000, // 10 ms [MEM] §5 (Pistachio DEFAULT_TIMESLICE_LENGTH = 625*16 us)
  timerGranularityUs: 1000, // Fiasco 1 ms tick [MEM] §5
};

/**
 * L4Ka::Pistachio, X.2 ABI, same clock. Pistachio's IPC is cheaper (sysenter, fast path), ~120 cycles
 * one-way intra- and ~250 inter-address-space with one MR (D2, unverified); it has small spaces.
 */
export const PISTACHIO_X2: CostProfile = {
  ...FIASCO_V2,
  syscallEntryExit: 40, // sysenter/sysexit [INF]; with ipcPath gives D2's ~120 cy one-way intra-AS
  ipcPath: 80, // D2 ~120 cy one-way intra-AS minus entry/exit
  asSwitch: 130, // D2 ~250 cy one-way inter-AS minus the 120 intra-AS path
  smallSpaceSwitch: 20, // S7 TR-933: segment reload, tens of cycles [MEM]; Pistachio has small spaces (S1 glue config.h)
  unmap: 300, // [EST] no figure in the reference and no Fiasco calibration applies: an entry/exit plus a mapping-database walk and TLB flush of ~2 x unmapPerNode
};

export const COST_PROFILES: Record<string, CostProfile> = { 'fiasco-v2': FIASCO_V2, 'pistachio-x2': PISTACHIO_X2 };

export const COST_KEYS = Object.keys(FIASCO_V2) as (keyof CostProfile)[];


/**
 * Where the IPC path's costs come from, per flavour, for reports that print a figure beside its parts
 * (`l4trace bench pingpong`). The same sources as the comments of the profiles above, in short.
 */
export const IPC_COST_SOURCES: Partial<Record<keyof CostProfile, { 'fiasco-v2': string; 'pistachio-x2': string }>> = {
  syscallEntryExit: { 'fiasco-v2': '[INF] ref §10 int + iret, kernel entry+exit 100', 'pistachio-x2': '[INF] sysenter/sysexit; with ipcPath gives D2 ~120 cy one-way intra-AS' },
  ipcPath: { 'fiasco-v2': '[CAL] D1 Table 2 L4Linux V2 getpid 2,078 (docs/table2.md)', 'pistachio-x2': 'D2 ~120 cy one-way intra-AS minus entry/exit' },
  asSwitch: { 'fiasco-v2': '[INF] ref §10 CR3 + TLB refill 250; S7 TR-933', 'pistachio-x2': 'D2 ~250 cy one-way inter-AS minus the 120 intra-AS path' },
  dispatch: { 'fiasco-v2': '[EST] ref §10 thread_schedule/switch 100 + 50 ready-queue work', 'pistachio-x2': '[EST] as V2' },
  xcpuSend: { 'fiasco-v2': '[EST] remote queue lock + link (2 contended cache lines ~100 cy each) + ICR write', 'pistachio-x2': '[EST] as V2 (same hardware)' },
  xcpuLatency: { 'fiasco-v2': '[EST] P6 serial APIC bus, ~2 us per IPI message at 200 MHz', 'pistachio-x2': '[EST] as V2 (same hardware)' },
  xcpuReceive: { 'fiasco-v2': '[EST] interrupt entry/exit + queue work + EOI', 'pistachio-x2': '[EST] as V2 (same hardware)' },
};
