/**
 * run: one guest program as the first Linux process (init) under a Linux personality. The run ends when
 * init exits (outcome ok, its exit status as the metric init.exit_status).
 */
import { z } from 'zod';
import { withDependencies } from '../guests/catalog.js';
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
    ...LinuxShape,
  })
  .strict();
type Params = z.infer<typeof Params>;

export const linuxRun: ScenarioDef<Params> = {
  name: 'run',
  description: 'one guest program as the first process on Linux (L4Linux by default)',
  params: Params,
  defaults: LINUX_DEFAULTS,
  images: (p) => withDependencies(p.program, p.programs),
  build(ctx, p) {
    const m = bootLinux(ctx, p, {
      init: p.program,
      args: p.args,
      env: p.env,
      programs: withDependencies(p.program, p.programs),
      stdin: p.stdin ?? '',
      signalFix: p.signalFix,
    });
    return { root: m.root, finish: (k, stop) => linuxMetrics(k, m, stop) };
  },
};
