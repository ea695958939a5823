/**
 * The environment of a program run on a root file system: a fixed default (what a login shell of root
 * would have, so programs that look at PATH, HOME or TERM find them) with the user's `--env K=V` over it.
 * The result is stored in the scenario (params.env), so a replay never depends on this default.
 */
import { UserError } from '../../../tracer/errors.js';

/** The default environment, in this order. */
export const DEFAULT_ENV: readonly string[] = ['HOME=/root', 'LOGNAME=root', 'PATH=/bin:/usr/bin:/sbin:/usr/sbin', 'PWD=/', 'SHELL=/bin/sh', 'TERM=vt100', 'USER=root'];

/** `base` with each `K=V` of `sets` replacing the variable K in place, or appended when new. */
export function environment(sets: readonly string[], base: readonly string[] = DEFAULT_ENV): string[] {
  const out = [...base];
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0 || s.includes('\0')) throw new UserError(`--env ${JSON.stringify(s)}: expected NAME=VALUE (a name without "=", no NUL byte)`, { exitCode: 2 });
    const at = out.findIndex((v) => v.startsWith(s.slice(0, eq + 1)));
    if (at >= 0) out[at] = s;
    else out.push(s);
  }
  return out;
}
