/**
 * Which traces this build can re-execute. A trace records the machine's behaviour version and quirk
 * flags (as rr records the quirks of the recorder). A trace from another machine version, or with
 * quirks this build does not implement, is refused with a message that names both versions and what
 * changed between them: replaying it would only produce a misleading divergence. Commands that only
 * read events (info, dump, query, view ...) read any machine version; those that rebuild the machine
 * (replay, shrink, inspect) go through `checkReplayable`.
 *
 * Discipline: a change that makes the same header and tape give other events bumps MACHINE_VERSION and
 * says here what changed; `traces/manifest.json` holds each golden trace's digest per machine version,
 * and test/replay/golden.test.ts fails when re-recording a golden trace gives other bytes than the
 * current version's manifest says (docs/replay.md, "Version discipline").
 */
import { UserError } from '../../tracer/errors.js';
import type { HeaderData } from '../../tracer/packets.js';

/** Behaviour version of the machine. Bump whenever the same header and tape would give different events. */
export const MACHINE_VERSION = 8;

/** What each machine version changed about the events a spec and tape produce. */
export const MACHINE_HISTORY: Record<number, string> = {
  1: 'the L4 kernel, the IA32 interpreter and a minimal Linux server',
  2: 'Linux 2.4 personalities (native, L4Linux V2, L4Env) replace the minimal server; an IPC reply partner ties with freshly woken threads of its priority (a TIE choice); lthread_ex_regs applies a completed IPC result first; the Fiasco cost profile is calibrated to the seed thesis Table 2; function hooks reached by jmp are recorded',
  3: "the irq scenario's footer metrics irq.latency_avg / irq.latency_max come from the hit the kernel delivered (v2 wrote NaN when a hit was raised between a delivery and the handler running); the average is an integer",
  4: 'the machine is rebuilt from the header alone: cost profiles (also those of comparison runs) come from the trace, not from the code; guest file data and the console transcript are bounded by the machine memory (ENOSPC); trace format 2 (per-packet checks, file digest)',
  5: 'the x87 FPU and the rest of i686 user mode (CPUID reports FPU and CX8); signal frames carry the FPU state (_fpstate, 112 bytes: the frames grow and move the handler stack); FS/GS segments with set_thread_area, get_thread_area and modify_ldt; an instruction the CPU lacks leaves a MARKER',
  6: "the Linux i386 system-call ABI of glibc, musl and busybox (files and directories, memory regions, clone/vfork/wait4/waitid, time, identity, signals); a file system with directories, /dev and /proc, and a root file system from the trace; AT_RANDOM, getrandom and /dev/urandom draw RANDOM choices from the tape; region checks are per page",
  7: 'Linux threads (clone with CLONE_THREAD, thread groups, a shared signal queue, futex wait queues: WAKE wakes; exit and exit_group differ) in a task per thread or, with threadModel shared, in the process task; X.2 small spaces: coming back from a small space to the large space under it reloads segments only, and only page-table loads count as address-space switches (smallSpaceSwitches counts the others); run scenarios: marked.* metrics between markers 1 and 2, expectExit and outcome fail',
  8: "L4Linux SMP: virtual CPU i (its kernel thread and a new interrupt thread, the local timer) runs on CPU i mod cpus, a new process goes to an idle virtual CPU and runs on its CPU; a wakeup across CPUs costs xcpuSend, arrives xcpuLatency later and costs the woken CPU xcpuReceive (new cost keys, and linuxLocalTick); the L4Linux server writes FUNC_ENTER/EXIT for the Linux kernel functions it stands for (kernelFunctions, on by default); fork's work is split as do_fork's (linuxFork before the page tables) and copy_page_range's; exit notifies the parent before zapping its pages; pingpong has a cross-CPU variant and a 2-CPU machine by default; scenario parameters console and kmem (left out when unset); a spin deadlock's detail names the CPUs",
};

/** Quirk flags this build implements (none yet: every trace of this machine version behaves the same). */
export const KNOWN_QUIRKS: ReadonlySet<string> = new Set();

export class IncompatibleTrace extends UserError {}

/** Throws IncompatibleTrace unless this build can rebuild the machine of a trace with this header. */
export function checkReplayable(h: HeaderData, file: string): void {
  if (h.synthetic) throw new IncompatibleTrace(`${file}: a synthetic trace (generated events, not a machine run) cannot be replayed`);
  if (!h.scenarioJson) throw new IncompatibleTrace(`${file}: the header holds no scenario, so the machine cannot be rebuilt`);
  if (h.machineVersion !== MACHINE_VERSION) {
    const changed: string[] = [];
    const [lo, hi] = h.machineVersion < MACHINE_VERSION ? [h.machineVersion, MACHINE_VERSION] : [MACHINE_VERSION, h.machineVersion];
    for (let v = lo + 1; v <= hi; v++) changed.push(`v${v}: ${MACHINE_HISTORY[v] ?? 'unknown to this build'}`);
    throw new IncompatibleTrace(
      `${file}: recorded by machine v${h.machineVersion} (l4trace ${h.toolVersion || '?'}); this l4trace runs machine v${MACHINE_VERSION} and cannot reproduce it. Changed since: ${changed.join('; ')}`,
    );
  }
  const unknown = h.quirks.filter((q) => !KNOWN_QUIRKS.has(q));
  if (unknown.length > 0) throw new IncompatibleTrace(`${file}: recorded with quirks this build does not implement: ${unknown.join(', ')} (machine v${h.machineVersion})`);
}
