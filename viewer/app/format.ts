/** Numbers, times and colours for the page. */

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A time in cycles with its microseconds: "1,234,567 cyc (6,172.8 µs)". */
export function fmtTime(cycles: number, cyclesPerUs: number): string {
  return `${fmtInt(cycles)} cyc (${fmtUs(cycles / cyclesPerUs)})`;
}

export function fmtUs(us: number): string {
  if (Math.abs(us) >= 1e6) return `${(us / 1e6).toFixed(3)} s`;
  if (Math.abs(us) >= 1e3) return `${(us / 1e3).toFixed(3)} ms`;
  return `${us.toFixed(us < 10 ? 3 : 1)} µs`;
}

/** Short cycle counts for the ruler: 950, 12.5k, 3.2M, 1.05G. */
export function fmtShort(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(4)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(4)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(4)}k`;
  return String(Math.round(v));
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** A stable colour per name (functions, threads). */
export function colorFor(s: string, light = 62): string {
  const h = hash(s);
  return `hsl(${h % 360}, ${45 + (h >>> 9) % 25}%, ${light}%)`;
}

/** Category colours for IPC operations and page faults (functions take their name's colour). */
export const CATEGORY_COLOR: Record<string, string> = { ipc: '#8fb3e8', pf: '#e8b48f' };

/** One colour per IPC operation, far apart in hue, so call, send, reply_wait and receive read apart. */
export const IPC_COLOR: Record<string, string> = {
  'ipc:call': '#60a5fa',
  'ipc:send': '#f472b6',
  'ipc:reply_wait': '#2dd4bf',
  'ipc:receive': '#a78bfa',
  'ipc:wait': '#c4b5fd',
  'ipc:send_receive': '#fbbf24',
  'ipc:pagefault': '#e8b48f',
  'ipc:exception': '#f87171',
  'ipc:irq': '#d8b4fe',
};

/** The colour of a slice by its name: IPC operations and page faults by kind, functions by name. */
export function sliceColour(name: string): string {
  if (name.startsWith('ipc:')) return IPC_COLOR[name] ?? CATEGORY_COLOR.ipc!;
  if (name === 'page fault') return CATEGORY_COLOR.pf!;
  return colorFor(name);
}
export const BAD = '#c81e1e';
export const GOOD = '#15803d';
