/**
 * The kernel's consoles, set up from the boot command line as Linux 2.4 does it, with L4Linux's
 * incomplete default console (seed 000, known bugs: "/dev/console").
 *
 * Only when a scenario gives `console=` entries (the `console` parameter, even an empty list); without
 * them Linux keeps the machine's console of before (it always opens, no kernel messages), so existing
 * scenarios run as they did.
 *
 * - **console_setup** (kernel/printk.c): each entry names a driver and an index, with options after a
 *   comma. The name is cut to 7 characters (`char name[8]`), a leading digit means ttyS ("1" = ttyS1),
 *   the index is the number from the first digit (none: 0), so "tty" is tty0 and "ttyS1,115200" is ttyS
 *   index 1 with options "115200". At most 8 entries (MAX_CMDLINECONSOLES); the last one is the
 *   preferred console, and naming one again makes it the preferred one again. Names no driver has are
 *   kept in the table and never matched: they are ignored.
 * - **register_console**: the drivers register in boot order, L4Linux: herc (the L4 kernel debugger's
 *   output, L4Linux's default console), the VGA console `tty`, the serial console `ttyS`; native Linux:
 *   `tty`, `ttyS`. With no entry at all the first driver to register is enabled and preferred (on
 *   L4Linux: herc). Otherwise a driver is enabled by the first entry that names it with an index it has
 *   (herc 0, tty 0..63, ttyS 0..3): one console per driver, as 2.4's struct console. The console of the
 *   preferred entry goes to the head of the list (console_drivers), the others behind the head.
 * - **printk** goes to every enabled console (each registers with CON_PRINTBUFFER, so it gets the log
 *   printed before it registered too).
 * - **The initial console** (drivers/char/tty_io.c, tty_open of SYSCONS_DEV) is the first console of the list
 *   that has a terminal device; herc has none (output only). When none has one, opening /dev/console
 *   fails with ENODEV: init/main.c prints "Warning: unable to open an initial console." and init runs
 *   without descriptors 0, 1 and 2 (its writes to stdout fail with EBADF).
 *
 * Kernel messages cost no simulated time (what a serial line's baud rate would cost is not modelled).
 */
import { Kind } from '../../tracer/catalogue.js';
import { ENODEV, ENXIO } from './abi.js';
import type { Linux } from './linux.js';
import type { Personality } from './platform.js';

/** 2.4's MAX_CMDLINECONSOLES. */
export const MAX_CMDLINE_CONSOLES = 8;

interface Driver {
  readonly name: 'herc' | 'tty' | 'ttyS';
  /** The indexes the driver's console can take (its setup refuses others). */
  readonly indexes: number;
  /** A terminal device behind it: /dev/console can be this console. */
  readonly terminal: boolean;
}

const HERC: Driver = { name: 'herc', indexes: 1, terminal: false };
/** The VGA console: tty0 (the foreground virtual console) .. tty63 (MAX_NR_CONSOLES). */
const VGA: Driver = { name: 'tty', indexes: 64, terminal: true };
/** The serial console: the PC's four standard ports ttyS0 .. ttyS3. */
const SERIAL: Driver = { name: 'ttyS', indexes: 4, terminal: true };

/** The order the console drivers register in at boot. */
const BOOT_ORDER: Readonly<Record<Personality, readonly Driver[]>> = {
  native: [VGA, SERIAL],
  l4linux: [HERC, VGA, SERIAL],
  l4env: [HERC, VGA, SERIAL],
};

/** One entry of the command line's console table. */
export interface CmdlineConsole {
  name: string;
  index: number;
  options: string | null;
}

/** An enabled console and what it showed. */
export interface KernelConsole {
  /** herc, tty0, ttyS1 ... */
  readonly name: string;
  readonly options: string | null;
  readonly terminal: boolean;
  /** Bytes it showed: kernel messages, and for /dev/console what processes wrote to it. */
  bytes: number;
}

/** console_setup's parse of one `console=` value. */
export function parseConsoleEntry(str: string): CmdlineConsole {
  let name = /^[0-9]/.test(str) ? 'ttyS' + str.slice(0, 3) : str.slice(0, 7);
  const comma = str.indexOf(',');
  const options = comma >= 0 ? str.slice(comma + 1) : null;
  const digit = name.search(/[0-9]/);
  let index = 0;
  if (digit >= 0) {
    index = Number(/^[0-9]*/.exec(name.slice(digit))![0]);
    name = name.slice(0, digit);
  }
  return { name, index, options };
}

/** The command line's console table and its preferred entry (-1: no entry). */
export function consoleTable(entries: readonly string[]): { table: CmdlineConsole[]; preferred: number } {
  const table: CmdlineConsole[] = [];
  let preferred = -1;
  for (const str of entries) {
    const e = parseConsoleEntry(str);
    const again = table.findIndex((c) => c.name === e.name && c.index === e.index);
    if (again >= 0) preferred = again;
    else if (table.length < MAX_CMDLINE_CONSOLES) {
      preferred = table.length;
      table.push(e);
    }
  }
  return { table, preferred };
}

export class KernelConsoles {
  /** The enabled consoles in console_drivers order (the preferred one first). */
  readonly enabled: KernelConsole[] = [];
  /** What /dev/console opens, or null: the initial console is missing. */
  readonly dev: KernelConsole | null;
  /** The boot command line (its console entries). */
  readonly cmdline: string;
  /** Bytes of kernel messages (each went to every enabled console). */
  printkBytes = 0;
  /** init's open of /dev/console succeeded. */
  initialConsole = false;

  constructor(entries: readonly string[], personality: Personality) {
    this.cmdline = entries.map((e) => `console=${e}`).join(' ');
    const { table, preferred: named } = consoleTable(entries);
    let preferred = named;
    for (const driver of BOOT_ORDER[personality]) {
      let enabled = false;
      let preferredOne = false;
      let index = driver.indexes === 1 ? 0 : -1;
      let options: string | null = null;
      if (preferred < 0) {
        // No console named: the first driver to register is the console.
        index = Math.max(index, 0);
        enabled = preferredOne = true;
        preferred = 0;
      }
      for (let i = 0; i < table.length && !enabled; i++) {
        const c = table[i]!;
        if (c.name !== driver.name || (index >= 0 && index !== c.index)) continue;
        if (c.index >= driver.indexes) break; // the driver's setup refuses it
        enabled = true;
        index = c.index;
        options = c.options;
        preferredOne = i === preferred;
      }
      if (!enabled) continue;
      const con: KernelConsole = { name: driver.name === 'herc' ? 'herc' : `${driver.name}${index}`, options, terminal: driver.terminal, bytes: 0 };
      if (preferredOne || this.enabled.length === 0) this.enabled.unshift(con);
      else this.enabled.splice(1, 0, con);
    }
    this.dev = this.enabled.find((c) => c.terminal) ?? null;
  }

  /** Metrics: whether init got its console, the kernel's bytes, each console's bytes, which is /dev/console. */
  metrics(): [name: string, value: number, unit: string][] {
    const out: [string, number, string][] = [
      ['linux.initial_console', this.initialConsole ? 1 : 0, 'bool'],
      ['linux.printk_bytes', this.printkBytes, 'bytes'],
    ];
    for (const c of [...this.enabled].sort((a, b) => (a.name < b.name ? -1 : 1))) out.push([`linux.console.${c.name}.bytes`, c.bytes, 'bytes']);
    if (this.dev) out.push([`linux.dev_console.${this.dev.name}`, 1, 'bool']);
    return out;
  }

  describe(): Record<string, unknown> {
    return { cmdline: this.cmdline, consoles: this.enabled.map((c) => c.name), devConsole: this.dev?.name ?? null };
  }
}

/**
 * Boot: set up the consoles from the command line, print it, and open /dev/console for init (2.4's
 * init/main.c). Returns whether it opened; when it did not, the warning goes to every enabled console.
 */
export function setupConsoles(lx: Linux, entries: readonly string[]): boolean {
  const c = new KernelConsoles(entries, lx.platform.personality);
  lx.consoles = c;
  printk(lx, `Kernel command line: ${c.cmdline}`);
  c.initialConsole = c.dev !== null;
  if (!c.initialConsole) printk(lx, 'Warning: unable to open an initial console.', true);
  return c.initialConsole;
}

/**
 * A kernel message: to every enabled console (the one behind /dev/console also shows it in the
 * machine's console and its transcript), and a MARKER `printk to <consoles>: <text>` (value: its bytes)
 * in the trace of the thread that printed it. A warning is also told to the user (record and run print
 * it on stderr).
 */
export function printk(lx: Linux, text: string, warning = false): void {
  const c = lx.consoles;
  if (!c) return;
  const data = new TextEncoder().encode(text + '\n');
  c.printkBytes += data.length;
  for (const con of c.enabled) {
    con.bytes += data.length;
    if (con === c.dev) {
      lx.transcript.append(data);
      lx.ctx.machine.console(1, data);
    }
  }
  const note = `printk to ${c.enabled.length ? c.enabled.map((e) => e.name).join(',') : 'no console'}: ${text}`;
  if (warning) lx.ctx.machine.diagnose(lx.ctx.gid, note, data.length);
  else lx.ev(Kind.MARKER, lx.ctx.intern(note), data.length);
}

/** What a process writes to /dev/console: counted on its console; false when there is none (dropped). */
export function consoleOutput(c: KernelConsoles, bytes: number): boolean {
  if (!c.dev) return false;
  c.dev.bytes += bytes;
  return true;
}

/** open of /dev/console or /dev/tty when the consoles have no terminal: ENODEV (tty_open), ENXIO (no controlling tty). */
export function consoleOpenError(lx: Linux, device: string): number {
  if (!lx.consoles || lx.consoles.dev) return 0;
  return device === 'console' ? -ENODEV : -ENXIO;
}
