/**
 * What every Linux scenario shares: the personality and its knobs as scenario parameters, booting it,
 * and the Linux and kernel mechanism counts as metrics at the end.
 */
import { ENUMS } from '../../tracer/catalogue.js';
import { z } from 'zod';
import type { Kernel, StopReason } from '../l4/kernel.js';
import { buildLinuxMachine, type LinuxMachine } from '../l4linux/boot.js';
import { DEFAULT_PRIORITIES } from '../l4linux/l4/server.js';
import { linuxLimits } from '../l4linux/limits.js';
import { BOOT_EPOCH } from '../l4linux/clock.js';
import type { LinuxConfig } from '../l4linux/linux.js';
import type { Keyboard } from '../l4linux/tty.js';
import type { ScenarioContext } from './scenario.js';

const prio = z.number().int().min(1).max(254);

/**
 * The boot command line's `console=` entries, in order ("herc", "tty", "ttyS1,115200"; docs/linux.md,
 * Consoles). Unset: the machine's console as before the parameter existed (always there, no kernel
 * messages); set, even to [], Linux 2.4's console setup, where L4Linux's default console leaves no
 * initial console.
 */
export const ConsoleEntries = z.array(z.string().regex(/^[\x21-\x7e]{1,64}$/, 'a console= value: 1 to 64 printable characters, no spaces')).max(32);

/** Parameters of the Linux personality (merged into each Linux scenario's own). */
export const LinuxShape = {
  /** native Linux 2.4, L4Linux 2.4 on L4 V2, or L4Linux 2.4 on L4Env. */
  personality: z.enum(['native', 'l4linux', 'l4env']).default('l4linux'),
  /** L4Linux's fix for the fresh-process signal race: none (2.4 as documented), handshake, recheck. */
  signalFix: z.enum(['none', 'handshake', 'recheck']).default('none'),
  /** Virtual CPUs of the Linux server (kernel threads). */
  maxcpus: z.number().int().min(1).max(8).default(1),
  /** How system calls reach the server: the int $0x80 trampoline, or the modified C library's direct IPC. */
  syscalls: z.enum(['trampoline', 'direct']).default('trampoline'),
  /**
   * L4Linux: where a process's threads run. `task` (default, L4Linux 2.4 as seed 000's known bugs
   * describe it): each thread in an L4 task of its own with the same mappings, so every thread switch
   * switches address spaces; `shared`: the fix, one L4 task per process, a thread per Linux thread.
   * Left out of a spec that does not set it (traces recorded before it existed keep their JSON).
   */
  threadModel: z.enum(['task', 'shared']).optional(),
  /**
   * X.2 (Pistachio) flavour: the Linux server in a small address space, so a system call from a process
   * and its reply switch segments, not page tables (the flavour's small spaces; no effect on V2, which
   * has none). Left out of a spec that does not set it.
   */
  serverSmallSpace: z.boolean().optional(),
  /**
   * CLOCK_REALTIME at boot, seconds since 1970, up to the year 9999; unset: 2003-01-01T00:00:00Z
   * (BOOT_EPOCH). Left out of a spec that does not set it, so the scenario JSON of traces recorded
   * before it existed stays the same.
   */
  epoch: z.number().int().min(0).max(253_402_300_799).optional(),
  /** The boot command line's `console=` entries (ConsoleEntries). Left out of a spec that does not set it. */
  console: ConsoleEntries.optional(),
  /**
   * L4Linux: FUNC_ENTER/EXIT on the server's threads for the Linux kernel functions the model's steps
   * stand for (system_call, sys_*, do_fork, copy_mm ...; src/l4linux/kfunc.ts). On unless `off`; native
   * Linux never writes them. Left out of a spec that does not set it.
   */
  kernelFunctions: z.enum(['on', 'off']).optional(),
  /** Memory for processes, log2 bytes. */
  poolLog2: z.number().int().min(16).max(24).default(22),
  prio: z
    // Each field defaults on its own, so `--set prio.irq=210` changes one and keeps the others.
    .object({ irq: prio.default(DEFAULT_PRIORITIES.irq), pager: prio.default(DEFAULT_PRIORITIES.pager), kernel: prio.default(DEFAULT_PRIORITIES.kernel), user: prio.default(DEFAULT_PRIORITIES.user) })
    .strict()
    .refine((p) => p.irq > p.pager && p.pager > p.kernel && p.kernel > p.user, 'priorities must be ordered irq > pager > kernel > user')
    .default(DEFAULT_PRIORITIES),
};

export const LinuxParams = z.object(LinuxShape).strict();
export type LinuxParams = z.infer<typeof LinuxParams>;

/** Machine defaults for Linux scenarios: 8 MiB (sigma0's first megabyte, a 4 MiB pool, room to spare). */
export const LINUX_DEFAULTS = { physFrames: 2048 } as const;

/** Boots Linux; its limits come from the machine's memory (the spec's physFrames), never the host's. */
export function bootLinux(ctx: ScenarioContext, p: LinuxParams, config: Omit<LinuxConfig, 'limits'>, keyboard: Keyboard | null = null): LinuxMachine {
  return buildLinuxMachine(ctx.k, (prog) => ctx.program(prog), {
    personality: p.personality,
    config: { ...config, kernelFunctions: p.personality !== 'native' && p.kernelFunctions !== 'off', rootfs: config.rootfs ?? ctx.rootfs, limits: linuxLimits(ctx.k.mem.frames), epoch: p.epoch ?? BOOT_EPOCH, ...(p.console ? { console: p.console } : {}) },
    maxcpus: p.maxcpus,
    prio: p.prio,
    poolLog2: p.poolLog2,
    keyboard,
    syscalls: p.syscalls,
    threadModel: p.threadModel ?? 'task',
    serverSmallSpace: p.serverSmallSpace ?? false,
  });
}

/** Linux's mechanism counts as metrics. */
export function linuxMetrics(k: Kernel, m: LinuxMachine, _stop: StopReason): void {
  const s = m.lx.stats;
  k.metric('linux.syscalls', s.syscalls, 'calls');
  k.metric('linux.page_faults', s.pageFaults, 'faults');
  k.metric('linux.pages_copied', s.pagesCopied, 'pages');
  k.metric('linux.forks', s.forks, 'calls');
  k.metric('linux.execs', s.execs, 'calls');
  k.metric('linux.signals_sent', s.signalsSent, 'signals');
  k.metric('linux.signals_delivered', s.signalsDelivered, 'signals');
  k.metric('linux.kicks_lost', s.kicksLost, 'kicks');
  k.metric('linux.console_bytes', m.lx.transcript.bytes, 'bytes');
  // With console= entries: whether init got /dev/console, and where the kernel's messages went.
  for (const [name, value, unit] of m.lx.consoles?.metrics() ?? []) k.metric(name, value, unit);
  // System calls the guests made that this Linux lacks (ENOSYS), by name: `report` and `info` list them.
  for (const [nr, count] of [...m.lx.unimplemented].sort((a, b) => a[0] - b[0])) {
    k.metric(`linux.unimplemented_syscall.${ENUMS.Syscall![nr] ?? `nr_${nr}`}`, count, 'calls');
  }
}
