/**
 * maxcpus-deadlock: the second documented L4Linux 2.4 bug (D0: the virtual processors "are distributed
 * round robin on the physical processors, starting with CPU zero. If the number of virtual processors
 * exceeds the number of physical processors, L4Linux will eventually deadlock due to priority inversion
 * of the interrupt thread to the kernel thread of another virtual CPU on the same physical processor").
 *
 * With maxcpus > 1 the server's kernel threads share the global kernel spinlock. Processes fork and exit
 * in a loop, the children on idle virtual CPUs. Virtual CPU i (its kernel thread and its interrupt
 * thread, the local timer) runs on physical CPU i mod cpus. When an interrupt thread (the highest
 * priority) fires while the kernel thread of another virtual CPU on the same physical CPU holds the
 * spinlock, it spins forever above the holder: outcome deadlock. So maxcpus 2 on `--cpus 1` (the
 * default) and 3 on 2 deadlock; 2 on 2 and 1 on 1 complete (maxcpus 1 has no spinlock, only the
 * blocking "cli" lock).
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
  description: 'L4Linux SMP: maxcpus virtual CPUs round robin on --cpus CPUs; more virtual than physical ones deadlock (an interrupt thread spins on the kernel lock above its holder)',
  params: Params,
  defaults: LINUX_DEFAULTS,
  images: () => ['table2'],
  build(ctx, p) {
    const m = bootLinux(ctx, p, { init: 'table2', args: ['0', String(p.forks), '16', '4'], env: [], programs: ['table2'], stdin: '', signalFix: p.signalFix });
    return { root: m.root, finish: (k, stop) => linuxMetrics(k, m, stop) };
  },
};
