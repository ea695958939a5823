/**
 * signal-race: the fresh-process signal race of L4Linux 2.4 (l4-semantics.md §8). A parent forks a
 * CPU-bound child (no system calls, ever) and sends it SIGTERM at once, then waits for it. On L4Linux
 * the signal needs a kick to the child's signal thread; while that thread does not exist yet or is not
 * yet receiving, the kick is lost and the child computes on: the run misses its deadline (outcome
 * hang). Whether it does depends on the order in which the parent, the child and the child's signal
 * thread run after the fork: ties the seed decides. `signalFix` closes the window.
 */
import { z } from 'zod';
import type { ScenarioDef } from './scenario.js';
import { bootLinux, LINUX_DEFAULTS, LinuxShape, linuxMetrics } from './linux.js';

const Params = z
  .object({
    /** fork + kill + wait rounds in one run. */
    rounds: z.number().int().min(1).max(1000).default(1),
    ...LinuxShape,
  })
  .strict();
type Params = z.infer<typeof Params>;

export const signalRace: ScenarioDef<Params> = {
  name: 'signal-race',
  description: 'fork a CPU-bound child and signal it at once: L4Linux 2.4 loses the signal under some interleavings (outcome hang)',
  params: Params,
  // 50 ms: a round that works takes well under 1 ms, or one 10 ms timeslice when the child runs first.
  defaults: { ...LINUX_DEFAULTS, deadline: 10_000_000 },
  images: () => ['sigrace'],
  build(ctx, p) {
    const m = bootLinux(ctx, p, { init: 'sigrace', args: [String(p.rounds)], env: [], programs: ['sigrace'], stdin: '', signalFix: p.signalFix });
    return { root: m.root, finish: (k, stop) => linuxMetrics(k, m, stop) };
  },
};
