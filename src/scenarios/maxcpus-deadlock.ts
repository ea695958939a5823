/**
 * maxcpus-deadlock: the second documented L4Linux 2.4 bug (D0: "with more virtual processors than
 * physical ones ... L4Linux will eventually deadlock due to priority inversion of the interrupt thread
 * to the kernel thread of another virtual CPU on the same physical processor").
 *
 * With maxcpus > 1 the server's kernel threads share the global kernel spinlock. Processes fork and exit
 * in a loop on alternating virtual CPUs; when the timer thread (virtual CPU 0's interrupt thread, the
 * highest priority) fires while virtual CPU 1's kernel thread holds the spinlock on the same physical
 * CPU, it spins forever above the holder: outcome deadlock. With maxcpus 1 there is no spinlock, only
 * the blocking "cli" lock, and the run completes.
 */
import { z } from 'zod';
import type { ScenarioDef } from './scenario.js';
import { bootLinux, LINUX_DEFAULTS, LinuxShape, linuxMetrics } from './linux.js';

const Params = z
  .object({
    ...LinuxShape,
    maxcpus: z.number().int().min(1).max(8).default(2),
    /** fork + exit + wait iterations of the workload. */
    forks: z.number().int().min(1).max(100_000).default(200),
  })
  .strict();
type Params = z.infer<typeof Params>;

export const maxcpusDeadlock: ScenarioDef<Params> = {
  name: 'maxcpus-deadlock',
  description: 'more virtual CPUs than physical ones: the timer thread spins on the kernel lock above its holder (outcome deadlock)',
  params: Params,
  defaults: LINUX_DEFAULTS,
  images: () => ['table2'],
  build(ctx, p) {
    const m = bootLinux(ctx, p, { init: 'table2', args: ['0', String(p.forks), '16', '4'], env: [], programs: ['table2'], stdin: '', signalFix: p.signalFix });
    return { root: m.root, finish: (k, stop) => linuxMetrics(k, m, stop) };
  },
};
