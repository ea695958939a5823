/**
 * kmem: L4Ka::Pistachio's fixed kernel memory (seed 000's known issue: Pistachio "lacks dynamic memory
 * growth. It thus must be booted with sufficient memory resources to allocate page tables for all
 * L4Linux user applications"; the amount is Kickstart's compile-time ADDITIONAL_KMEM_SIZE).
 *
 * init (guest `forkhold`) forks `children` processes that all stay alive until the last is made, so
 * their L4 tasks' page directories, page tables, TCBs and mapping nodes pile up in the kernel's pool
 * (src/l4/kmem.ts). With Kickstart's 16 MiB (the default `kmem` here) every child fits and the run
 * ends `ok`; with a small pool (`--set kmem=256K`) the kernel runs out: on the X.2 flavour (Pistachio,
 * the default here) kmem_alloc enters the kernel debugger and the machine stops (outcome `fault`); on
 * V2 (Fiasco with a fixed pool) task_new returns nil, L4Linux's fork fails with EAGAIN, init reports it
 * and exits 1 (outcome `fail`), or, when a page table is what no longer fits, the map in the page-fault
 * reply fails and the process faults on the same page for ever (outcome `hang` at the deadline).
 * Metrics: kmem.size, kmem.used, kmem.peak, kmem.failures, and the Linux ones.
 */
import { z } from 'zod';
import { KICKSTART_KMEM } from '../l4/kmem.js';
import type { ScenarioDef } from './scenario.js';
import { bootLinux, LINUX_DEFAULTS, LinuxShape, linuxMetrics } from './linux.js';

const Params = z
  .object({
    ...LinuxShape,
    /** Children alive at once. */
    children: z.number().int().min(1).max(100).default(24),
  })
  .strict();
type Params = z.infer<typeof Params>;

export const kmemScenario: ScenarioDef<Params> = {
  name: 'kmem',
  description: "a fork loop whose children stay alive fills the kernel's fixed memory pool (Pistachio: kernel debugger, outcome fault) unless kmem is large enough",
  params: Params,
  // 1 s of simulated time (a map failing on V2 livelocks the faulting process); the run takes ~10 ms.
  defaults: { ...LINUX_DEFAULTS, flavour: 'x2', kmem: KICKSTART_KMEM, deadline: 200_000_000 },
  images: () => ['forkhold'],
  build(ctx, p) {
    const m = bootLinux(ctx, p, { init: 'forkhold', args: [String(p.children)], env: [], programs: ['forkhold'], stdin: '', signalFix: p.signalFix, expectExit: 0 });
    return { root: m.root, finish: (k, stop) => linuxMetrics(k, m, stop) };
  },
};
