/**
 * The console scenario and Linux's console model (src/l4linux/consoles.ts; docs/linux.md, Consoles):
 * seed 000's "/dev/console" known bug. Without console= L4Linux's default console (herc, output only)
 * leaves no initial console: the kernel warns, init's writes fail with EBADF and its output is lost. With
 * console= entries all consoles get the kernel's messages and the last one with a terminal is
 * /dev/console. Unknown names are ignored; a scenario without the parameter behaves as before it existed.
 */
import { describe, expect, it } from 'vitest';
import { replayTrace } from '../../replay/replay.js';
import { consoleTable, KernelConsoles, parseConsoleEntry } from '../../src/l4linux/consoles.js';
import { NR } from '../../src/l4linux/abi.js';
import { Kind } from '../../tracer/catalogue.js';
import { TraceReader } from '../../tracer/reader.js';
import { metric, recordInMemory } from '../support/record.js';
import { runSyscallElf, SyscallProgram } from '../support/syscall-elf.js';

type Recorded = ReturnType<typeof recordInMemory>;

const metricNames = (r: Recorded): string[] => r.result.run.metrics.map((m) => m.name);
const hasMetric = (r: Recorded, name: string): boolean => metricNames(r).includes(name);

/** The texts of the MARKER events (printk lines are `printk to <consoles>: <text>`). */
function markers(r: Recorded): string[] {
  const reader = r.reader();
  return [...reader.events({ kinds: new Set([Kind.MARKER]) })].map((e) => reader.string(e.args[0]!));
}

/** Results of init's write system calls (SYSCALL_EXIT: pid, number, result). */
function writeResults(r: Recorded): number[] {
  const reader = r.reader();
  return [...reader.events({ kinds: new Set([Kind.SYSCALL_EXIT]) })].filter((e) => e.args[0] === 1 && e.args[1] === NR.write).map((e) => e.args[2]! | 0);
}

const COMMAND_LINE = (entries: string[]) => `Kernel command line: ${entries.map((e) => `console=${e}`).join(' ')}\n`;
const WARNING = 'Warning: unable to open an initial console.\n';
const HELLO = 'hello, world\nargc = 1\nargv[0] = "hello"\n';
const bytes = (s: string): number => new TextEncoder().encode(s).length;

describe('console: the missing initial console (seed 000, known bugs)', () => {
  const bug = recordInMemory('console');

  it('by default (no console=) L4Linux cannot open an initial console: init runs, its output is lost, outcome fail', () => {
    expect(bug.spec.params).toMatchObject({ console: [], personality: 'l4linux' });
    expect(bug.result.run.stop.outcome).toBe('fail');
    expect(bug.result.run.stop.detail).toMatch(/init exited with status 0, but its output did not reach \/dev\/console \(no initial console\)/);
    expect(metric(bug, 'init.exit_status')).toBe(0);
    expect(metric(bug, 'linux.initial_console')).toBe(0);
    expect(metric(bug, 'console.init_output')).toBe(0);
    expect(metric(bug, 'linux.console_bytes')).toBe(0);
    expect(hasMetric(bug, 'linux.dev_console.herc')).toBe(false);
    // init's stdout is not open: every write fails with EBADF.
    const writes = writeResults(bug);
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.every((ret) => ret === -9)).toBe(true);
  });

  it('the kernel says so, on its only console (herc, the L4 kernel debugger: output only)', () => {
    const printed = COMMAND_LINE([]) + WARNING;
    expect(metric(bug, 'linux.printk_bytes')).toBe(bytes(printed));
    expect(metric(bug, 'linux.console.herc.bytes')).toBe(bytes(printed));
    expect(metricNames(bug).filter((n) => n.startsWith('linux.console.'))).toEqual(['linux.console.herc.bytes']);
    expect(markers(bug)).toEqual(['printk to herc: Kernel command line: ', 'printk to herc: Warning: unable to open an initial console.']);
    expect(bug.result.run.kernel.diagnostics).toContain('linux-server: printk to herc: Warning: unable to open an initial console.');
  });

  it('the workaround console=herc console=tty: kernel output on both, /dev/console is tty0 and shows init\'s output', () => {
    const entries = ['herc', 'tty'];
    const r = recordInMemory('console', { sets: [`console=${JSON.stringify(entries)}`] });
    expect(r.result.run.stop.outcome).toBe('ok');
    expect(metric(r, 'linux.initial_console')).toBe(1);
    expect(metric(r, 'console.init_output')).toBe(1);
    expect(metric(r, 'linux.dev_console.tty0')).toBe(1);
    const kernel = bytes(COMMAND_LINE(entries));
    expect(metric(r, 'linux.printk_bytes')).toBe(kernel);
    expect(metric(r, 'linux.console.herc.bytes')).toBe(kernel);
    expect(metric(r, 'linux.console.tty0.bytes')).toBe(kernel + bytes(HELLO));
    expect(metric(r, 'linux.console_bytes')).toBe(kernel + bytes(HELLO));
    expect(writeResults(r).every((ret) => ret > 0)).toBe(true);
    expect(markers(r)).toEqual(['printk to tty0,herc: Kernel command line: console=herc console=tty']);
    expect(r.result.run.kernel.diagnostics).toEqual([]);
  });

  it('the last console named is /dev/console: console=herc console=ttyS1,115200 puts init on ttyS1; swapped, on tty0', () => {
    const serial = recordInMemory('console', { sets: ['console=["herc","ttyS1,115200"]'] });
    expect(serial.result.run.stop.outcome).toBe('ok');
    expect(metric(serial, 'linux.dev_console.ttyS1')).toBe(1);
    expect(metric(serial, 'linux.console.ttyS1.bytes') - metric(serial, 'linux.printk_bytes')).toBe(bytes(HELLO));
    expect(metric(serial, 'linux.console.herc.bytes')).toBe(metric(serial, 'linux.printk_bytes'));

    const both = recordInMemory('console', { sets: ['console=["ttyS1,115200","tty"]'] });
    expect(metric(both, 'linux.dev_console.tty0')).toBe(1);
    expect(hasMetric(both, 'linux.dev_console.ttyS1')).toBe(false);
    expect(metric(both, 'linux.console.tty0.bytes') - metric(both, 'linux.printk_bytes')).toBe(bytes(HELLO));
    expect(metric(both, 'linux.console.ttyS1.bytes')).toBe(metric(both, 'linux.printk_bytes')); // kernel output only

    const reversed = recordInMemory('console', { sets: ['console=["tty","ttyS1,115200"]'] });
    expect(metric(reversed, 'linux.dev_console.ttyS1')).toBe(1);
    expect(metric(reversed, 'linux.console.tty0.bytes')).toBe(metric(reversed, 'linux.printk_bytes'));
  });

  it('herc alone is not enough (no terminal); herc named last leaves /dev/console to the next console that has one', () => {
    const herc = recordInMemory('console', { sets: ['console=["herc"]'] });
    expect(herc.result.run.stop.outcome).toBe('fail');
    expect(metric(herc, 'linux.initial_console')).toBe(0);
    const last = recordInMemory('console', { sets: ['console=["tty","herc"]'] });
    expect(last.result.run.stop.outcome).toBe('ok');
    expect(metric(last, 'linux.dev_console.tty0')).toBe(1);
    expect(markers(last)[0]).toBe('printk to herc,tty0: Kernel command line: console=tty console=herc');
  });

  it('unknown names are ignored: a known console beside them still works; only unknown ones leave no console at all', () => {
    const mixed = recordInMemory('console', { sets: ['console=["tty","lp0","foo"]'] });
    expect(mixed.result.run.stop.outcome).toBe('ok');
    expect(metric(mixed, 'linux.dev_console.tty0')).toBe(1);
    expect(metricNames(mixed).filter((n) => n.startsWith('linux.console.'))).toEqual(['linux.console.tty0.bytes']);

    const unknown = recordInMemory('console', { sets: ['console=["foo","ttyS9"]'] });
    expect(unknown.result.run.stop.outcome).toBe('fail');
    expect(metric(unknown, 'linux.initial_console')).toBe(0);
    expect(metricNames(unknown).filter((n) => n.startsWith('linux.console.'))).toEqual([]);
    expect(markers(unknown)).toContain('printk to no console: Warning: unable to open an initial console.');
  });

  it("native Linux 2.4's default console is the VGA console: no console= needed there", () => {
    const r = recordInMemory('console', { sets: ['personality=native'] });
    expect(r.result.run.stop.outcome).toBe('ok');
    expect(metric(r, 'linux.dev_console.tty0')).toBe(1);
    // herc is L4Linux's: on native Linux the name is unknown, and the entry alone leaves no console.
    const herc = recordInMemory('console', { sets: ['personality=native', 'console=["herc"]'] });
    expect(herc.result.run.stop.outcome).toBe('fail');
  });

  it('L4Linux on L4Env has the same default console as on V2', () => {
    const r = recordInMemory('console', { sets: ['personality=l4env', 'signalFix=recheck'] });
    expect(r.result.run.stop.outcome).toBe('fail');
    expect(metric(r, 'linux.initial_console')).toBe(0);
  });

  for (const [label, sets] of [
    ['the bug', []],
    ['the workaround', ['console=["herc","ttyS1,115200"]']],
  ] as [string, string[]][]) {
    it(`${label}: recorded twice byte-identical, and the trace replays as identical`, () => {
      const a = recordInMemory('console', { sets });
      const b = recordInMemory('console', { sets });
      expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
      const replay = replayTrace(TraceReader.fromBytes(a.bytes), 'console.l4t');
      expect(replay.difference).toBeNull();
      expect(replay.verdict).toBe('identical');
    });
  }
});

describe('/dev/console without an initial console is an invalid device', () => {
  /** open("/dev/console") and open("/dev/tty"): their results, found in the trace (stdout may be gone). */
  function opens(sets: string[]): number[] {
    const p = new SyscallProgram();
    p.call('console', NR.open, p.buf('path', 16, '/dev/console\0'), 2, 0);
    p.call('tty', NR.open, p.buf('tty', 16, '/dev/tty\0'), 2, 0);
    const r = runSyscallElf(p, sets);
    const reader = r.reader();
    return [...reader.events({ kinds: new Set([Kind.SYSCALL_EXIT]) })].filter((e) => e.args[1] === NR.open).map((e) => e.args[2]! | 0);
  }

  it('open fails with ENODEV (/dev/console) and ENXIO (/dev/tty); with a console it opens (the first free descriptor)', () => {
    expect(opens(['console=[]'])).toEqual([-19, -6]);
    expect(opens(['console=["herc","tty"]'])).toEqual([3, 4]);
    expect(opens([])).toEqual([3, 4]); // without the parameter: the console as before
  });
});

describe('without the parameter nothing changes', () => {
  it('run hello: no console metrics, no printk markers, the transcript is the program output only', () => {
    const r = recordInMemory('run', { sets: ['program=hello'] });
    expect(r.spec.params).not.toHaveProperty('console');
    expect(metricNames(r).some((n) => n.startsWith('linux.console.') || n === 'linux.initial_console' || n === 'linux.printk_bytes')).toBe(false);
    expect(markers(r).some((m) => m.startsWith('printk'))).toBe(false);
    expect(metric(r, 'linux.console_bytes')).toBe(bytes(HELLO));
  });

  it('run hello with console=[] reproduces the bug in the run scenario too', () => {
    const r = recordInMemory('run', { sets: ['program=hello', 'console=[]'] });
    expect(r.spec.params).toMatchObject({ console: [] });
    expect(r.result.run.stop.outcome).toBe('ok'); // run does not check the output
    expect(metric(r, 'linux.initial_console')).toBe(0);
    expect(metric(r, 'linux.console_bytes')).toBe(0);
  });

  it('the parameter is validated', () => {
    expect(() => recordInMemory('console', { sets: ['console=["tty ttyS0"]'] })).toThrow(/console/);
    expect(() => recordInMemory('console', { sets: ['console="tty"'] })).toThrow(/console/);
  });
});

describe("Linux 2.4's console_setup and register_console", () => {
  it('parses names, indexes and options as console_setup does', () => {
    expect(parseConsoleEntry('tty')).toEqual({ name: 'tty', index: 0, options: null });
    expect(parseConsoleEntry('tty3')).toEqual({ name: 'tty', index: 3, options: null });
    expect(parseConsoleEntry('ttyS1,115200')).toEqual({ name: 'ttyS', index: 1, options: '115200' });
    expect(parseConsoleEntry('1,9600n8')).toEqual({ name: 'ttyS', index: 1, options: '9600n8' }); // a digit means ttyS
    expect(parseConsoleEntry('herc')).toEqual({ name: 'herc', index: 0, options: null });
    expect(parseConsoleEntry('verylongname')).toEqual({ name: 'verylon', index: 0, options: null }); // char name[8]
  });

  it('the last entry is preferred, a repeated one becomes preferred again, at most 8 entries', () => {
    expect(consoleTable(['herc', 'tty']).preferred).toBe(1);
    expect(consoleTable(['tty', 'herc', 'tty0']).preferred).toBe(0);
    const many = consoleTable(['tty1', 'tty2', 'tty3', 'tty4', 'tty5', 'tty6', 'tty7', 'tty8', 'tty9']);
    expect(many.table.length).toBe(8);
    expect(many.preferred).toBe(7);
  });

  it('one console per driver: the first entry naming it wins; the list puts the preferred one first', () => {
    const c = new KernelConsoles(['ttyS0', 'ttyS1', 'herc'], 'l4linux');
    expect(c.enabled.map((e) => e.name)).toEqual(['herc', 'ttyS0']);
    expect(c.dev?.name).toBe('ttyS0');
    expect(new KernelConsoles([], 'l4linux').enabled.map((e) => e.name)).toEqual(['herc']);
    expect(new KernelConsoles([], 'native').dev?.name).toBe('tty0');
    expect(new KernelConsoles(['tty64', 'ttyS4'], 'l4linux').enabled).toEqual([]); // indexes the drivers lack
  });
});
