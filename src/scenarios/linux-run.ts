/**
 * run: one guest program as the first Linux process (init) under a Linux personality. The run ends when
 * init exits (outcome ok, its exit status as the metric init.exit_status).
 *
 * The program is an embedded image (`program`, a committed guest or a file the user named), or, with
 * `path`, the file at that absolute path in the root file system the run is given (then `program` is
 * only its name). `path` and `strict` are left out of a spec that does not set them, so the scenario
 * JSON of traces recorded before they existed stays the same.
 */
import { z } from 'zod';
import { withDependencies } from '../guests/catalog.js';
import { markerSnapshots, phaseCounts } from './markers.js';
import type { ScenarioDef } from './scenario.js';
import { bootLinux, LINUX_DEFAULTS, LinuxShape, linuxMetrics } from './linux.js';

const name = z.string().regex(/^[A-Za-z0-9._-]+$/, 'a guest program name');

const Params = z
  .object({
    program: name,
    args: z.array(z.string()).default([]),
    env: z.array(z.string()).default([]),
    /** Console input (then end of input); null: none. */
    stdin: z.string().nullable().default(null),
    /** More guest programs under /bin (the ones the program is known to execve come anyway). */
    programs: z.array(name).default([]),
    /** Run the program at this absolute path in the root file system instead of an embedded image. */
    path: z
      .string()
      .max(4095)
      .refine((s) => s.startsWith('/') && !s.includes('\0'), 'an absolute path in the root file system')
      .optional(),
    /** The first system call Linux lacks stops the run with its name and number. */
    strict: z.boolean().optional(),
    /** init must exit with this status; any other ends the run with outcome `fail` (what `sweep` saves). */
    expectExit: z.number().int().min(0).max(255).optional(),
    ...LinuxShape,
  })
  .strict();
type Params = z.infer<typeof Params>;

/** The embedded images: the program (unless it comes from the root file system) and what it may execve. */
function programsOf(p: Params): string[] {
  return p.path !== undefined ? [...new Set(p.programs)] : withDependencies(p.program, p.programs);
}

export const linuxRun: ScenarioDef<Params> = {
  name: 'run',
  description: 'one guest program as the first process on Linux (L4Linux by default)',
  params: Params,
  defaults: LINUX_DEFAULTS,
  images: (p) => programsOf(p),
  build(ctx, p) {
    const m = bootLinux(ctx, p, {
      init: p.program,
      args: p.args,
      env: p.env,
      programs: programsOf(p),
      stdin: p.stdin ?? '',
      signalFix: p.signalFix,
      rootfs: ctx.rootfs,
      initPath: p.path ?? null,
      strict: p.strict ?? false,
      ...(p.expectExit !== undefined ? { expectExit: p.expectExit } : {}),
    });
    // A program that brackets a phase with l4trace markers 1 and 2 (the first of each) gets the phase's
    // mechanism counts as metrics (benchmarks: the futex ping-pong of the thread models).
    const marks = markerSnapshots(ctx.k, m.lx, (hit) => hit.id === 1 || hit.id === 2);
    return {
      root: m.root,
      finish: (kk, stop) => {
        linuxMetrics(kk, m, stop);
        const [a, b] = [marks.get(1), marks.get(2)];
        if (!a || !b) return;
        const c = phaseCounts(a, b);
        kk.metric('marked.cycles', b.time - a.time, 'cycles');
        kk.metric('marked.as_switches', c.as_switches, 'switches');
        kk.metric('marked.context_switches', c.context_switches, 'switches');
        kk.metric('marked.ipc', c.ipc, 'operations');
        kk.metric('marked.page_faults', c.page_faults, 'faults');
      },
    };
  },
};
