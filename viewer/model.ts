/**
 * The viewer's embedded data: the contract between the generator (Node, viewer/generate/) and the page
 * (browser, viewer/app/). One binary payload: a little-endian u32 header length, the header as UTF-8
 * JSON (names, threads, small tables, panel rows, the column directory), then the numeric columns, each
 * a run of LEB128 varints. The payload is gzipped and base64-encoded into the HTML; the page inflates it
 * with the browser's DecompressionStream. Strings only ever travel inside this JSON, never as HTML.
 *
 * Times are cycles of the simulated CPU (header.meta.cyclesPerUs converts), exact integers below 2^53.
 * Nothing here touches the DOM or Node, so both sides compile it.
 */

export const VIEWER_DATA_VERSION = 1;

/** How a column's values are stored: plain unsigned varints, or zigzag varints of successive differences. */
export type ColumnCodec = 'u' | 'zd';

export interface ColumnRef {
  name: string;
  codec: ColumnCodec;
  /** Values in the column. */
  count: number;
  /** Byte range within the column area (after the header). */
  offset: number;
  length: number;
}

export interface ViewerProcess {
  upid: number;
  pid: number | null;
  name: string;
  task: number;
  kind: string;
}

export interface ViewerThread {
  utid: number;
  name: string;
  upid: number;
  task: number;
  pid: number | null;
  kind: string;
  priority: number;
  l4Id: string;
  /** Deepest call depth + 1 (rows of its track); 0 when it has no slices. */
  depth: number;
  /** For a run that hung or deadlocked: where the thread was at the end ("receiving from linux-server"). */
  finalState: string | null;
  /** Its innermost call still open at the end, if any ("ipc:call"). */
  openCall: string | null;
  /** Its first event (cycles): before its first time on a CPU it is ready, waiting to run. */
  startTs: number | null;
}

/** One row of slices: a thread at one call depth. Slices of a row never overlap and are sorted by start. */
export interface SliceRow {
  utid: number;
  depth: number;
  count: number;
}

export interface ViewerSignal {
  ts: number;
  /** Sending thread. */
  utid: number;
  from: number;
  to: number;
  sig: string;
  path: string;
  kick: string;
  tsDeliver: number | null;
  action: string | null;
  /** Threads of the target process (where a delivery is drawn). */
  targetUtids: number[];
}

export interface ProfileRow {
  name: string;
  calls: number;
  incl: number;
  excl: number;
}

export interface MatrixCell {
  sender: string;
  receiver: string;
  msgs: number;
  bytes: number;
}

export interface HistogramBin {
  /** Bin bounds in cycles (log-spaced). */
  x0: number;
  x1: number;
  count: number;
}

export interface ThreadStateCell {
  /** The timeline's label ("sigrace [2]"). */
  thread: string;
  /** Start and end in cycles: one bucket, or a run of buckets with the same dominant state. */
  t0: number;
  t1: number;
  /** The state the thread spent most of the bucket in: running, ready, receiving, sending, blocked. */
  state: string;
  /** Its share of the bucket (of the thread's known time there; the least over a run). */
  share: number;
  /** Every state's share of the bucket, in words. */
  detail: string;
}

export interface ViewerPanels {
  profile: ProfileRow[];
  matrix: MatrixCell[];
  irqLatency: HistogramBin[];
  threadStates: ThreadStateCell[];
}

export interface ViewerHeader {
  version: number;
  source: string;
  meta: {
    scenario: string;
    flavour: string;
    cpus: number;
    seed: string;
    outcome: string;
    outcomeDetail: string;
    cyclesPerUs: number;
    endTime: number;
    events: number;
    filterRules: string;
  };
  /** The time window the file holds (cycles). */
  window: { from: number; to: number };
  /** Where the page opens (generate/focus.ts): the window around the outcome's cause; null: the whole window. */
  focus: ViewerFocus | null;
  /** Names of slices (functions, ipc:..., page fault) by id. */
  names: string[];
  /** Slice categories by id: func, ipc, pf. */
  categories: string[];
  processes: ViewerProcess[];
  /** The threads shown (all, or those --threads kept). */
  threads: ViewerThread[];
  /** Labels of every thread of the trace by utid ("sigrace [2]"), shown or not (CPU intervals, messages). */
  threadLabels: string[];
  rows: SliceRow[];
  /** Scheduling intervals per CPU: cpu numbers and counts, in the order of the sched columns. */
  cpus: { cpu: number; count: number }[];
  /** Enumerations the numeric columns refer to. */
  enums: { ipcKind: string[]; ipcResult: string[]; endState: string[]; switchReason: string[] };
  signals: ViewerSignal[];
  panels: ViewerPanels;
  columns: ColumnRef[];
}

/**
 * The numeric columns, by name. Slices (concatenated row after row, see SliceRow): slice.ts (zd),
 * slice.dur (u: dur + 1, 0 = unfinished), slice.name (u), slice.cat (u), slice.seq (zd).
 * Scheduling (concatenated per CPU): sched.ts (zd), sched.dur (u), sched.utid (u), sched.end (u: endState),
 * sched.reason (u). Interrupts (by raise time): irq.ts (zd), irq.irq (u), irq.deliver (u: latency + 1,
 * 0 = never), irq.handler (u: utid + 1, 0 = none), irq.coalesced (u).
 * IPC messages (by send time): ipc.ts (zd), ipc.sender (u), ipc.receiver (u: utid + 1, 0 = nobody),
 * ipc.recv (u: ts_recv - ts + 1, 0 = never), ipc.reply (u: ts_reply - ts + 1, 0 = none), ipc.kind (u),
 * ipc.result (u), ipc.label (u), ipc.words (u), ipc.bytes (u), ipc.dest (u: utid + 1 of the addressed
 * thread, 0 = not a thread of the trace).
 */
/** The opening window and why it was chosen ("the first failed message (send, SETIMEOUT)"). */
export interface ViewerFocus {
  from: number;
  to: number;
  reason: string;
}

export const COLUMN_NAMES = [
  'slice.ts',
  'slice.dur',
  'slice.name',
  'slice.cat',
  'slice.seq',
  'sched.ts',
  'sched.dur',
  'sched.utid',
  'sched.end',
  'sched.reason',
  'irq.ts',
  'irq.irq',
  'irq.deliver',
  'irq.handler',
  'irq.coalesced',
  'ipc.ts',
  'ipc.sender',
  'ipc.receiver',
  'ipc.recv',
  'ipc.reply',
  'ipc.kind',
  'ipc.result',
  'ipc.label',
  'ipc.words',
  'ipc.bytes',
  'ipc.dest',
] as const;

export type ColumnName = (typeof COLUMN_NAMES)[number];

// --- the page's test hook (window.__viewerTest), shared with the browser tests and bench ------------

export interface View {
  t0: number;
  t1: number;
  scrollY: number;
  /** CSS pixels. */
  width: number;
  height: number;
}

export type Selection =
  | { kind: 'slice'; index: number }
  | { kind: 'sched'; index: number }
  | { kind: 'irq'; index: number }
  | { kind: 'ipc'; index: number }
  | { kind: 'signal'; index: number }
  /** A thread (index: utid), e.g. a search hit on its name; `at` is a clicked time on its state band. */
  | { kind: 'thread'; index: number; at?: number }
  | null;

/** What the last frame drew, for the test hook and the status line. */
export interface FrameStats {
  /** The whole frame: the main canvas (tracks) and the overlay (messages, signals, selection). */
  ms: number;
  mainMs: number;
  overlayMs: number;
  rectsDrawn: number;
  itemsVisited: number;
  cpuRows: number;
  threadTracks: number;
  depthRows: number;
  /** Messages in view, whether they were bundled, and how many bundle arrows were drawn. */
  arrows: number;
  bundled: boolean;
  bundles: number;
  /** Unreceived messages drawn: one each (count 1) or bundled; failed (an error) or pending (no result). */
  failedIpc: { sender: string; dest: string; x: number; y: number; kind: 'failed' | 'pending'; count: number; label: string; labelBox: { x: number; y: number; w: number; h: number } | null }[];
  signals: { sig: string; from: number; to: number; kick: string; delivered: boolean; x: number; y: number; label: string }[];
  finalStates: { thread: string; state: string; x: number; y: number }[];
}

/** What the page exposes as window.__viewerTest: the state, what the last frame drew, and helpers. */
export interface ViewerTestHook {
  ready: boolean;
  firstFrameMs: number;
  frames: number;
  view: View;
  selection: Selection;
  lastFrame: FrameStats;
  tracks: { kind: string; label: string; y: number; h: number; key: number; depth: number }[];
  panelMarks: number;
  setView(t0: number, t1: number, scrollY?: number): void;
  pan(px: number): void;
  zoom(factor: number): void;
  select(kind: string, index: number): void;
  search(q: string): string;
  x(t: number): number;
  trackY(kind: string, key: number, depth?: number): number | null;
  detailsText(): string;
  drawNow(): FrameStats;
  /** The colour a thread is drawn in on the CPU tracks, as CSS. */
  threadColour(utid: number): string;
  /** Scheduling intervals of CPU track k: [start, end, utid] each. */
  schedOf(k: number): [number, number, number][];
  /** The ruler's ticks in the last frame, with the left and right edge of each label (CSS px). */
  ruler(): { cycles: string; time: string; x: number; left: number; right: number }[];
  /** The window the page opened on. */
  focus: ViewerFocus | null;
}

// --- varints --------------------------------------------------------------------------------------

/** A growable byte buffer for varint columns (generator side). */
export class VarintWriter {
  buf = new Uint8Array(1 << 16);
  pos = 0;
  count = 0;
  private prev = 0;

  constructor(
    readonly codec: ColumnCodec,
    readonly name = '',
  ) {}

  push(v: number): void {
    if (this.codec === 'zd') {
      const d = v - this.prev;
      this.prev = v;
      this.varint(d >= 0 ? d * 2 : -d * 2 - 1);
    } else {
      if (v < 0) throw new Error(`unsigned column ${this.name} value ${v}`);
      this.varint(v);
    }
    this.count++;
  }

  private varint(v: number): void {
    if (this.pos + 10 > this.buf.length) {
      const b = new Uint8Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    const buf = this.buf;
    let pos = this.pos;
    while (v >= 128) {
      buf[pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[pos++] = v;
    this.pos = pos;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/** Decode a column into a Float64Array (times and other values up to 2^53). */
export function decodeColumn(bytes: Uint8Array, ref: ColumnRef): Float64Array {
  const out = new Float64Array(ref.count);
  let pos = ref.offset;
  const end = ref.offset + ref.length;
  let prev = 0;
  for (let i = 0; i < ref.count; i++) {
    if (pos >= end) throw new Error(`column ${ref.name}: ends after ${i} of ${ref.count} values`);
    let b = bytes[pos++]!;
    let v = b & 0x7f;
    if (b >= 0x80) {
      let mul = 128;
      do {
        b = bytes[pos++]!;
        v += (b & 0x7f) * mul;
        mul *= 128;
      } while (b >= 0x80);
    }
    if (ref.codec === 'zd') {
      prev += v % 2 === 0 ? v / 2 : -(v + 1) / 2;
      out[i] = prev;
    } else out[i] = v;
  }
  return out;
}
