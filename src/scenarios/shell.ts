/**
 * shell: the sh guest at the console, typed at through the keyboard. Each keystroke is an IRQ 1 whose
 * instant the seed varies a little (IRQ_INSTANT choices); the keyboard's interrupt thread queues the
 * byte for the terminal, which echoes it and hands whole lines to the shell. The shell runs the
 * pipelines with fork, pipe, dup2, execve and waitpid. The run ends when the shell exits; the metric
 * shell.console_matches says whether the console transcript is the expected one.
 */
import { z } from 'zod';
import { withDependencies } from '../guests/catalog.js';
import { ChoiceSite } from '../sim/choices.js';
import { ScriptedKeyboard } from '../l4linux/tty.js';
import type { ScenarioDef } from './scenario.js';
import { bootLinux, LINUX_DEFAULTS, LinuxShape, linuxMetrics } from './linux.js';

const DEFAULT_LINES = ['echo hello world | upcase', 'echo one two three | upcase | wc', 'exit'];
/** What the console shows for DEFAULT_LINES: prompts, the echo of the typed lines, the outputs. */
const DEFAULT_EXPECT = '$ echo hello world | upcase\nHELLO WORLD\n$ echo one two three | upcase | wc\n1 3 14\n$ exit\n';

const Params = z
  .object({
    /** Lines typed at the shell (each followed by Enter). */
    lines: z.array(z.string().regex(/^[\x20-\x7e]*$/, 'printable ASCII')).default(DEFAULT_LINES),
    /** The expected console transcript; null: not checked. */
    expect: z.string().nullable().default(DEFAULT_EXPECT),
    /** When typing starts, the time between keystrokes, and the pause after each Enter (microseconds). */
    startUs: z.number().int().min(0).default(20_000),
    keyUs: z.number().int().min(10).default(2_000),
    lineUs: z.number().int().min(0).default(60_000),
    /** More guest programs under /bin, for lines that run them (absent: sh and what it needs). */
    programs: z.array(z.string().regex(/^[A-Za-z0-9._-]+$/, 'a guest program name')).optional(),
    ...LinuxShape,
  })
  .strict();
type Params = z.infer<typeof Params>;

export const shell: ScenarioDef<Params> = {
  name: 'shell',
  description: 'a small shell typed at through keyboard IRQs runs pipelines of guest programs; the console transcript is checked',
  params: Params,
  defaults: LINUX_DEFAULTS,
  images: (p) => withDependencies('sh', p.programs ?? []),
  build(ctx, p) {
    const { k } = ctx;
    const keyboard = new ScriptedKeyboard(1);
    const us = k.costs.cyclesPerUs;
    // Keystrokes at their nominal instants plus up to a quarter of the gap (a recorded choice each).
    let at = p.startUs * us;
    for (const line of p.lines) {
      for (const byte of new TextEncoder().encode(line + '\n')) {
        const when = at + k.choices.choose(ChoiceSite.IRQ_INSTANT, Math.max(1, Math.floor((p.keyUs * us) / 4)));
        k.scheduleIrq(keyboard.irq, when, () => keyboard.push(byte));
        at += p.keyUs * us;
      }
      at += p.lineUs * us;
    }
    // The transcript keeps as many bytes as the expected one has (and counts the rest): enough to decide.
    const expect = p.expect !== null ? new TextEncoder().encode(p.expect) : null;
    const config = { init: 'sh', args: [], env: [], programs: withDependencies('sh', p.programs ?? []), stdin: null, signalFix: p.signalFix, consoleKeep: expect?.length ?? 0 };
    const m = bootLinux(ctx, p, config, keyboard);
    return {
      root: m.root,
      finish: (kk, stop) => {
        linuxMetrics(kk, m, stop);
        if (expect !== null) kk.metric('shell.console_matches', m.lx.transcript.equals(expect) ? 1 : 0, 'bool');
      },
    };
  },
};
