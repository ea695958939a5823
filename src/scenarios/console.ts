/**
 * console: seed 000's "/dev/console" known bug. L4Linux's default console (herc, the L4 kernel
 * debugger's output) has no terminal, so without `console=` on the boot command line the kernel cannot
 * open an initial console ("Warning: unable to open an initial console."), and init (the `hello` guest)
 * runs without stdin, stdout and stderr: its writes fail with EBADF and its greeting is lost. The
 * workaround names consoles (`console: ["herc", "tty"]`): all of them get the kernel's messages, the last
 * one named becomes /dev/console, and init's output appears there.
 *
 * Outcome `ok` when init's greeting reached /dev/console, else `fail`; metrics `console.init_output`
 * (1/0) and the kernel's console metrics (linux.initial_console, linux.printk_bytes,
 * linux.console.<name>.bytes, linux.dev_console.<name>).
 */
import { z } from 'zod';
import type { ScenarioDef } from './scenario.js';
import { bootLinux, ConsoleEntries, LINUX_DEFAULTS, LinuxShape, linuxMetrics } from './linux.js';

/** What init (hello) writes first to stdout. */
const GREETING = 'hello, world\n';

const Params = z
  .object({
    ...LinuxShape,
    /** The boot command line's `console=` entries; the default, none, is the bug. */
    console: ConsoleEntries.default([]),
  })
  .strict();
type Params = z.infer<typeof Params>;

/** Whether `text` holds `part`. */
function contains(text: Uint8Array, part: Uint8Array): boolean {
  outer: for (let i = 0; i + part.length <= text.length; i++) {
    for (let j = 0; j < part.length; j++) if (text[i + j] !== part[j]) continue outer;
    return true;
  }
  return false;
}

export const consoleScenario: ScenarioDef<Params> = {
  name: 'console',
  description: "L4Linux's incomplete default console: without console= init has no /dev/console and its output is lost; console=herc console=tty fixes it",
  params: Params,
  defaults: LINUX_DEFAULTS,
  images: () => ['hello'],
  build(ctx, p) {
    const greeting = new TextEncoder().encode(GREETING);
    // The transcript keeps the kernel's few lines and init's output (hello's is under 100 bytes).
    const seen = (): boolean => contains(m.lx.transcript.text(), greeting);
    const m = bootLinux(ctx, p, {
      init: 'hello',
      args: [],
      env: [],
      programs: ['hello'],
      stdin: '',
      signalFix: p.signalFix,
      consoleKeep: 4096,
      checkAtInitExit: () => (seen() ? null : `its output did not reach /dev/console (${m.lx.consoles?.dev ? `on ${m.lx.consoles.dev.name}` : 'no initial console'})`),
    });
    return {
      root: m.root,
      finish: (k, stop) => {
        linuxMetrics(k, m, stop);
        k.metric('console.init_output', seen() ? 1 : 0, 'bool');
      },
    };
  },
};
