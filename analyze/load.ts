/**
 * Loading a trace into DuckDB. Each thread's chunks are decoded to typed columns and walked once:
 * function enter/exit, IPC and page faults become slices (depth, parent and self time computed here,
 * unfinished ones with dur -1), and the events that pair across threads (IPC messages, interrupts,
 * context switches, signals) are collected and joined in memory at the end. Rows go to DuckDB through
 * columnar batches (table-writer.ts) that a sink appends to DuckDB (duckdb-sink.ts).
 */
import { ENUMS, formatGid, IPC_SENDING_OPS, Kind } from '../tracer/catalogue.js';
import type { DecodedChunk } from '../tracer/chunk-codec.js';
import { OUTCOME_NAMES, THREAD_KIND_NAMES } from '../tracer/packets.js';
import type { TraceReader } from '../tracer/reader.js';
import { CATEGORY, SCHEMA_VERSION, TABLES } from './schema.js';
import { put64, TableWriter, type BatchSink } from './table-writer.js';

export interface LoadOptions {
  /** Name recorded in metadata (the trace file). */
  source: string;
  /** Progress: events loaded so far, of the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface LoadResult {
  events: number;
  slices: number;
}

const IPC_OP = ENUMS.IpcOp!;

interface IpcSend {
  seq: number;
  utid: number;
  ts: number;
  op: number;
  dst: number;
  label: number;
  words: number;
  bytes: number;
  slice: number;
}
interface IpcRes {
  utid: number;
  ts: number;
  pair: number;
  msg: number;
  result: number;
  slice: number;
  /** The IPC_RES event's sequence number. */
  seq: number;
}

/**
 * The open slices of one thread, as parallel typed arrays (no object per slice: the walk visits
 * millions of events). Index k is stack depth k.
 */
class SliceStack {
  length = 0;
  id: Float64Array = new Float64Array(64);
  ts: Float64Array = new Float64Array(64);
  child: Float64Array = new Float64Array(64);
  seq: Float64Array = new Float64Array(64);
  cat: Int32Array = new Int32Array(64);
  name: Int32Array = new Int32Array(64);

  push(id: number, ts: number, cat: number, name: number, seq: number): void {
    if (this.length === this.id.length) this.grow();
    const k = this.length++;
    this.id[k] = id;
    this.ts[k] = ts;
    this.cat[k] = cat;
    this.name[k] = name;
    this.seq[k] = seq;
    this.child[k] = 0;
  }

  private grow(): void {
    const n = this.id.length * 2;
    const f = (a: Float64Array): Float64Array => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const i = (a: Int32Array): Int32Array => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.id = f(this.id);
    this.ts = f(this.ts);
    this.child = f(this.child);
    this.seq = f(this.seq);
    this.cat = i(this.cat);
    this.name = i(this.name);
  }
}

/**
 * Walk the trace and write every table's rows to `sink`. Synchronous: the sink either appends to
 * DuckDB as it goes or ships the batches to the thread that does (load-worker.ts).
 */
export function loadTrace(reader: TraceReader, sink: BatchSink, opts: LoadOptions): LoadResult {
  const w = (t: keyof typeof TABLES): TableWriter => new TableWriter(t, TABLES[t]!, sink);
  const h = reader.header;
  const footer = reader.footer;
  // A trace cut short has no footer: its run ends, as far as anyone can tell, at its last event.
  let endTime = footer?.endTime ?? 0;

  // --- names: the trace's string table plus names the loader makes up (ipc:call ...) --------------
  const names = [...reader.strings];
  const nameIds = new Map<string, number>();
  const nameId = (s: string): number => {
    let id = nameIds.get(s);
    if (id === undefined) {
      id = names.length;
      names.push(s);
      nameIds.set(s, id);
    }
    return id;
  };
  const ipcNames = Object.entries(IPC_OP).map(([op, n]) => [Number(op), nameId(`ipc:${n}`)] as const);
  const ipcName = new Map(ipcNames);
  const pfName = nameId('page fault');

  // --- processes and threads ------------------------------------------------------------------------
  const gidToUtid = new Map<number, number>();
  reader.threads.forEach((t, i) => gidToUtid.set(t.l4Id, i));
  const procKey = (task: number, version: number): string => `${task}.${version}`;
  const upids = new Map<string, number>();
  const process = w('process');
  const thread = w('thread');
  const track = w('track');
  const firstTs = new Float64Array(reader.threads.length).fill(NaN);
  const lastTs = new Float64Array(reader.threads.length).fill(NaN);
  const exitTs = new Float64Array(reader.threads.length).fill(NaN);

  // --- per-thread walk --------------------------------------------------------------------------------
  const slice = w('slice_raw');
  // Direct views of the slice columns, fetched again whenever a batch is flushed.
  let sIdW!: Uint32Array, sTsW!: Uint32Array, sDurW!: Uint32Array, sParentW!: Uint32Array, sSelfW!: Uint32Array, sSeqW!: Uint32Array;
  let sUtid!: Int32Array, sCat!: Int32Array, sName!: Int32Array, sDepth!: Int32Array, sParentNull!: Uint8Array;
  const bindSliceViews = (): void => {
    sIdW = slice.i64(0);
    sTsW = slice.i64(1);
    sDurW = slice.i64(2);
    sUtid = slice.i32(3);
    sCat = slice.i32(4);
    sName = slice.i32(5);
    sDepth = slice.i32(6);
    sParentW = slice.i64(7);
    sParentNull = slice.nullFlags(7);
    sSelfW = slice.i64(8);
    sSeqW = slice.i64(9);
  };
  bindSliceViews();
  let nextSlice = 0;
  /** Write the top of `st` as a finished (or, with dur -1, unfinished) slice and pop it. */
  const popSlice = (st: SliceStack, utid: number, dur: number, self: number): void => {
    const k = --st.length;
    const r = slice.current;
    put64(sIdW, r, st.id[k]!);
    put64(sTsW, r, st.ts[k]!);
    put64(sDurW, r, dur);
    sUtid[r] = utid;
    sCat[r] = st.cat[k]!;
    sName[r] = st.name[k]!;
    sDepth[r] = k;
    if (k > 0) {
      put64(sParentW, r, st.id[k - 1]!);
      sParentNull[r] = 0;
    } else sParentNull[r] = 1;
    put64(sSelfW, r, self);
    put64(sSeqW, r, st.seq[k]!);
    if (slice.next()) bindSliceViews();
  };

  const sends: IpcSend[] = [];
  const results: IpcRes[] = [];
  const switches: { seq: number; ts: number; cpu: number; dst: number; reason: number; state: number; prio: number }[] = [];
  const raises = new Map<number, { irq: number; ts: number; masked: number; coalesced: number }>();
  const delivers = new Map<number, { ts: number; handler: number; interrupted: number }>();
  const signals: { seq: number; ts: number; utid: number; a: number[] }[] = [];
  const deliveries: { seq: number; ts: number; utid: number; pid: number; sig: number; handler: number; action: number }[] = [];
  const pfW = w('pf');
  const syscallW = w('syscall');
  let pfId = 0;
  let syscallId = 0;
  let unbalanced = 0;
  let loaded = 0;
  const total = footer ? footer.events - footer.eventsLost : 0;
  let nextProgress = 0;

  for (let utid = 0; utid < reader.threads.length; utid++) {
    const stack = new SliceStack();
    const pfOpen = new Map<number, { ts: number; addr: number; write: boolean; ip: number; task: number }>();
    const sysOpen = new Map<number, { ts: number; nr: number; a0: number; a1: number; a2: number; id: number; seq: number }>();
    const close = (until: number, ts: number): void => {
      // Close slices down to stack index `until` (inclusive) at ts; a closed slice's time is its
      // parent's child time.
      while (stack.length > until) {
        const k = stack.length - 1;
        const dur = ts - stack.ts[k]!;
        popSlice(stack, utid, dur, dur - stack.child[k]!);
        if (k > 0) stack.child[k - 1]! += dur;
      }
    };
    const open = (ts: number, cat: number, name: number, seq: number): number => {
      const id = nextSlice++;
      stack.push(id, ts, cat, name, seq);
      return id;
    };
    /** Close the open slice that started at `seq` (and any left open inside it). */
    const closeSeq = (seq: number, ts: number): number => {
      for (let i = stack.length - 1; i >= 0; i--) {
        if (stack.seq[i] === seq) {
          const id = stack.id[i]!;
          if (i !== stack.length - 1) unbalanced++;
          close(i, ts);
          return id;
        }
      }
      return -1;
    };
    for (const ref of reader.chunksOf(utid)) {
      const ch: DecodedChunk = reader.decodeChunk(ref);
      const { kinds, times, seqs, args, argStart } = ch;
      if (ch.count > 0) {
        if (Number.isNaN(firstTs[utid]!)) firstTs[utid] = times[0]!;
        lastTs[utid] = times[ch.count - 1]!;
      }
      for (let i = 0; i < ch.count; i++) {
        const kind = kinds[i]!;
        const ts = times[i]!;
        const a = argStart[i]!;
        switch (kind) {
          case Kind.FUNC_ENTER:
            open(ts, CATEGORY.func, args[a]!, seqs[i]!);
            break;
          case Kind.FUNC_EXIT: {
            // The innermost open function slice ends (IPC / fault slices inside it are closed too).
            let k = stack.length - 1;
            while (k >= 0 && stack.cat[k] !== CATEGORY.func) k--;
            if (k >= 0) {
              if (k !== stack.length - 1) unbalanced++;
              close(k, ts);
            }
            break;
          }
          case Kind.IPC: {
            const op = args[a]!;
            const sid = open(ts, CATEGORY.ipc, ipcName.get(op) ?? nameId(`ipc:${op}`), seqs[i]!);
            if (IPC_SENDING_OPS.has(op)) sends.push({ seq: seqs[i]!, utid, ts, op, dst: args[a + 1]!, label: args[a + 5]!, words: args[a + 8]!, bytes: args[a + 9]!, slice: sid });
            break;
          }
          case Kind.IPC_RES: {
            const pair = args[a]!;
            const sid = pair >= 0 ? closeSeq(pair, ts) : -1;
            results.push({ utid, ts, pair, msg: args[a + 1]!, result: args[a + 2]!, slice: sid, seq: seqs[i]! });
            break;
          }
          case Kind.PF:
            open(ts, CATEGORY.pf, pfName, seqs[i]!);
            pfOpen.set(seqs[i]!, { ts, addr: args[a]!, write: (args[a + 1]! & 2) !== 0, ip: args[a + 2]!, task: args[a + 3]! });
            break;
          case Kind.PF_RES: {
            const pair = args[a]!;
            closeSeq(pair, ts);
            const p = pfOpen.get(pair);
            if (p) {
              pfOpen.delete(pair);
              pfW.add(pfId++, p.ts, ts - p.ts, utid, p.addr, p.write, p.ip, p.task, args[a + 2]!, args[a + 3]! !== 0);
            }
            break;
          }
          case Kind.CONTEXT_SWITCH:
            switches.push({ seq: seqs[i]!, ts, cpu: args[a]!, dst: args[a + 1]!, reason: args[a + 2]!, state: args[a + 3]!, prio: args[a + 5]! });
            break;
          case Kind.IRQ_RAISE:
            raises.set(seqs[i]!, { irq: args[a]!, ts, masked: args[a + 1]!, coalesced: args[a + 2]! });
            break;
          case Kind.IRQ_DELIVER:
            delivers.set(args[a + 2]!, { ts, handler: args[a + 1]!, interrupted: args[a + 3]! });
            break;
          case Kind.SYSCALL_ENTER:
            sysOpen.set(args[a]!, { ts, nr: args[a + 1]!, a0: args[a + 2]!, a1: args[a + 3]!, a2: args[a + 4]!, id: syscallId++, seq: seqs[i]! });
            break;
          case Kind.SYSCALL_EXIT: {
            const s = sysOpen.get(args[a]!);
            if (s) {
              sysOpen.delete(args[a]!);
              syscallW.add(s.id, s.ts, ts - s.ts, utid, args[a]!, s.nr, ENUMS.Syscall![s.nr] ?? `sys_${s.nr}`, s.a0, s.a1, s.a2, args[a + 2]!, s.seq);
            }
            break;
          }
          case Kind.SIG_SEND:
            signals.push({ seq: seqs[i]!, ts, utid, a: [args[a]!, args[a + 1]!, args[a + 2]!, args[a + 3]!, args[a + 4]!] });
            break;
          case Kind.SIG_DELIVER:
            deliveries.push({ seq: seqs[i]!, ts, utid, pid: args[a]!, sig: args[a + 1]!, handler: args[a + 2]!, action: args[a + 3]! });
            break;
          case Kind.THREAD_EXIT:
            exitTs[utid] = ts;
            // A thread that dies inside calls (killed, exec'd over) ends them there: they are over,
            // not unfinished.
            close(0, ts);
            break;
        }
      }
      loaded += ch.count;
      if (opts.onProgress && loaded >= nextProgress) {
        opts.onProgress(loaded, total);
        nextProgress = loaded + 500_000;
      }
    }
    // Still open at the end of the trace: unfinished (dur -1), as Perfetto has them.
    while (stack.length > 0) popSlice(stack, utid, -1, -1);
    for (const [pid, s] of sysOpen) syscallW.add(s.id, s.ts, -1, utid, pid, s.nr, ENUMS.Syscall![s.nr] ?? `sys_${s.nr}`, s.a0, s.a1, s.a2, null, s.seq);
  }
  slice.close();
  pfW.close();
  syscallW.close();

  // --- processes (one per task incarnation), threads, tracks -------------------------------------------
  const procOf: number[] = [];
  reader.threads.forEach((t, i) => {
    const key = procKey(t.task, t.version);
    let upid = upids.get(key);
    if (upid === undefined) {
      upid = upids.size;
      upids.set(key, upid);
      const tname = reader.string(t.taskName) || (t.kind === 2 ? 'interrupts' : `task ${t.task}`);
      const kind = t.kind === 3 ? 'kernel' : t.kind === 2 ? 'irq' : t.task === 2 ? 'sigma0' : t.task === 4 ? 'roottask' : t.linuxPid > 0 ? 'l4linux_proc' : 'l4task';
      process.add(upid, t.linuxPid > 0 ? (t.linuxTgid || t.linuxPid) : NaN, tname, kind, t.task, NaN, firstTs[i]!, Number.isNaN(exitTs[i]!) ? NaN : exitTs[i]!);
    }
    procOf[i] = upid;
    const s = footer?.threads[i];
    thread.add(i, t.l4Id, formatGid(t.l4Id), reader.string(t.name), upid, THREAD_KIND_NAMES[t.kind] ?? String(t.kind), t.task, t.lthread, t.cpu, t.priority, t.linuxPid > 0 ? t.linuxPid : NaN, s?.events ?? 0, s?.eventsLost ?? 0, firstTs[i]!, Number.isNaN(exitTs[i]!) ? lastTs[i]! : exitTs[i]!, exitTs[i]!, t.linuxPid > 0 ? (t.linuxTgid || t.linuxPid) : NaN);
    track.add(i, 'thread', reader.string(t.name), i, NaN, NaN);
  });
  for (let cpu = 0; cpu < Math.max(1, h.cpus); cpu++) track.add(reader.threads.length + cpu, 'cpu', `cpu ${cpu}`, NaN, cpu, NaN);
  process.close();
  thread.close();
  track.close();

  // --- names ---------------------------------------------------------------------------------------------
  const name = w('name');
  names.forEach((n, id) => name.add(id, n));
  name.close();

  // --- IPC messages and their flows --------------------------------------------------------------------
  const byMsg = new Map<number, IpcRes>();
  const byPair = new Map<number, IpcRes>();
  for (const r of results) {
    if (r.msg >= 0) byMsg.set(r.msg, r);
    if (r.pair >= 0) byPair.set(r.pair, r);
  }
  const ipc = w('ipc');
  const flow = w('flow');
  let flowId = 0;
  sends.sort((x, y) => x.seq - y.seq);
  sends.forEach((s, id) => {
    const recv = byMsg.get(s.seq);
    const own = byPair.get(s.seq);
    const replied = s.op === 4 || s.op === 6 || s.op === 7 || s.op === 9;
    ipc.add(
      id,
      IPC_OP[s.op] ?? String(s.op),
      s.utid,
      recv ? recv.utid : NaN,
      formatGid(s.dst),
      s.label,
      s.words,
      s.bytes,
      s.ts,
      recv ? recv.ts : NaN,
      replied && own ? own.ts : NaN,
      own ? own.result : NaN,
      own ? (ENUMS.IpcError![own.result] ?? String(own.result)) : null,
      s.slice,
      recv && recv.slice >= 0 ? recv.slice : NaN,
      s.seq,
      recv ? recv.seq : NaN,
    );
    if (recv && recv.slice >= 0) flow.add(flowId++, s.slice, recv.slice, id, 'ipc');
  });
  ipc.close();
  flow.close();

  if (!footer) for (const t of lastTs) if (t > endTime) endTime = t;

  // --- scheduling intervals per CPU -------------------------------------------------------------------
  const sched = w('sched');
  switches.sort((x, y) => x.seq - y.seq);
  const byCpu = new Map<number, typeof switches>();
  let badCpu = 0;
  for (const s of switches) {
    // A switch on a CPU the header does not have is not believed (a crafted trace): counted, not loaded.
    if (s.cpu >= Math.max(1, h.cpus)) {
      badCpu++;
      continue;
    }
    let list = byCpu.get(s.cpu);
    if (!list) byCpu.set(s.cpu, (list = []));
    list.push(s);
  }
  let schedId = 0;
  for (const [cpu, list] of [...byCpu].sort((x, y) => x[0] - y[0])) {
    list.forEach((s, i) => {
      const next = list[i + 1];
      const utid = gidToUtid.get(s.dst);
      if (utid === undefined) return;
      const endState = next ? (ENUMS.ThreadState![next.state] ?? String(next.state)) : 'running';
      sched.add(schedId++, s.ts, (next ? next.ts : endTime) - s.ts, cpu, utid, endState, s.prio, ENUMS.SwitchReason![s.reason] ?? String(s.reason), s.seq);
    });
  }
  sched.close();

  // --- interrupts -------------------------------------------------------------------------------------
  const irq = w('irq');
  let irqId = 0;
  for (const [seq, r] of [...raises].sort((x, y) => x[0] - y[0])) {
    const d = delivers.get(seq);
    irq.add(irqId++, r.irq, r.ts, d ? d.ts : NaN, d ? d.ts - r.ts : NaN, d ? (gidToUtid.get(d.handler) ?? NaN) : NaN, d ? (gidToUtid.get(d.interrupted) ?? NaN) : NaN, r.masked !== 0, r.coalesced);
  }
  irq.close();

  // --- signals: each send, and the first delivery of that signal to that process after it ---------------
  const signal = w('signal');
  signals.sort((x, y) => x.seq - y.seq);
  deliveries.sort((x, y) => x.seq - y.seq);
  const used = new Set<number>();
  signals.forEach((s, id) => {
    const [from, to, sig, path, kick] = s.a as [number, number, number, number, number];
    const k = deliveries.findIndex((x, j) => !used.has(j) && x.seq > s.seq && x.pid === to && x.sig === sig);
    const d = k >= 0 ? deliveries[k] : undefined;
    if (d) used.add(k);
    signal.add(
      id,
      s.ts,
      s.utid,
      from,
      to,
      sig,
      ENUMS.Signal![sig] ?? `SIG${sig}`,
      ENUMS.SigPath![path] ?? String(path),
      kick,
      ENUMS.IpcError![kick] ?? String(kick),
      d ? d.ts : NaN,
      d ? (ENUMS.SigAction![d.action] ?? String(d.action)) : null,
      d ? d.handler : NaN,
      s.seq,
      d ? d.utid : NaN,
      d ? d.seq : NaN,
    );
  });
  signal.close();

  // --- stats and metadata ---------------------------------------------------------------------------------
  const stats = w('stats');
  reader.threads.forEach((_, i) => {
    const s = footer?.threads[i];
    if (!s) return;
    if (s.eventsLost > 0) stats.add('events_lost', i, 'data_loss', 'trace', s.eventsLost);
    if (s.chunksLost > 0) stats.add('chunks_lost', i, 'data_loss', 'trace', s.chunksLost);
    if (s.unmatchedExits > 0) stats.add('unmatched_exit', i, 'error', 'trace', s.unmatchedExits);
  });
  if (reader.truncated) stats.add('trace_truncated', 0, 'data_loss', 'trace', reader.size - reader.truncated.offset);
  if (!footer) stats.add('no_footer', 0, 'error', 'trace', 1);
  // A salvaged trace: every packet dropped because it failed its checks (l4trace ... --salvage).
  for (const d of reader.damage) stats.add('packet_dropped', d.packet ?? -1, 'data_loss', 'trace', 1);
  stats.add('unbalanced_slices', 0, unbalanced > 0 ? 'error' : 'info', 'load', unbalanced);
  if (badCpu > 0) stats.add('switch_on_unknown_cpu', 0, 'error', 'trace', badCpu);
  stats.add('events_loaded', 0, 'info', 'load', loaded);
  stats.close();
  // The footer's results, as the run computed them (the unimplemented system calls among them).
  const metric = w('metric');
  for (const m of footer?.metrics ?? []) metric.add(m.name, m.value, m.unit);
  metric.close();
  const meta = w('metadata');
  const md: [string, string | number][] = [
    ['schema_version', SCHEMA_VERSION],
    ['source', opts.source],
    ['format_version', h.formatVersion],
    ['tool_version', h.toolVersion],
    ['machine_version', h.machineVersion],
    ['scenario', h.scenarioName],
    ['flavour', h.flavour],
    ['cpus', h.cpus],
    ['seed', h.seed],
    ['entropy', ['prng', 'os', 'tape'][h.entropy] ?? String(h.entropy)],
    ['cycles_per_us', h.cyclesPerUs],
    ['filter_rules', h.filterRules],
    ['outcome', footer ? OUTCOME_NAMES[footer.outcome] ?? String(footer.outcome) : 'none'],
    ['outcome_detail', footer ? footer.outcomeDetail : `trace cut short at byte ${reader.truncated?.offset ?? '?'}: ${reader.truncated?.reason ?? 'no footer'}`],
    ['end_time', endTime],
    ['events', footer?.events ?? loaded],
    ['next_seq', footer?.nextSeq ?? 0],
    ['rootfs_entries', h.rootfs ? h.rootfs.entries.length : ''],
    ['rootfs_blobs', h.rootfs ? reader.blobRefs.length : ''],
    ['rootfs_blob_bytes', h.rootfs ? reader.blobBytes : ''],
    ['damage', reader.damage.map((d) => `packet #${d.packet ?? '?'} at byte ${d.offset ?? '?'}: ${d.reason}; dropped ${d.dropped}`).join('\n')],
  ];
  for (const [k, v] of md) meta.add(k, String(v));
  meta.close();
  opts.onProgress?.(loaded, total);
  return { events: loaded, slices: nextSlice };
}
