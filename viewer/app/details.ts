/**
 * The details panel: every field of the selected item, built with textContent only (a name from the
 * trace is text, never markup). For a slice: its thread, times, self time, the call path and, for an IPC
 * operation, the messages it sent and received with their partners.
 */
import { fmtInt, fmtTime } from './format';
import type { Renderer, Selection } from './render';
import { stateAt } from './states';
import { lowerBound, upperBound, type Store } from './store';

type Field = [string, string];

export function renderDetails(el: HTMLElement, store: Store, sel: Selection, renderer: Renderer): void {
  el.replaceChildren();
  if (!sel) {
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = 'Click a slice, a CPU interval, an interrupt, a message or a signal for its details.';
    el.append(p);
    return;
  }
  const { title, fields, path, messages } = sel.kind === 'thread' ? describeThread(store, sel.index, sel.at, renderer) : describe(store, sel);
  const h = document.createElement('h3');
  h.textContent = title;
  el.append(h, table(fields));
  if (path) {
    const sub = document.createElement('h4');
    sub.textContent = 'call path';
    const pre = document.createElement('div');
    pre.className = 'path';
    pre.textContent = path.map((n, i) => `${'  '.repeat(i)}${n}`).join('\n');
    el.append(sub, pre);
  }
  if (messages && messages.length > 0) {
    const sub = document.createElement('h4');
    sub.textContent = 'messages';
    el.append(sub);
    for (const m of messages) el.append(table(m));
  }
}

function table(fields: Field[]): HTMLTableElement {
  const t = document.createElement('table');
  for (const [k, v] of fields) {
    const tr = t.insertRow();
    tr.insertCell().textContent = k;
    tr.insertCell().textContent = v;
  }
  return t;
}

interface Description {
  title: string;
  fields: Field[];
  path?: string[];
  messages?: Field[][];
}

/** A thread: who it is, where it was at the end, and its state at the clicked time. */
function describeThread(store: Store, utid: number, at: number | undefined, renderer: Renderer): Description {
  const th = store.threadByUtid.get(utid);
  const cpu = store.header.meta.cyclesPerUs;
  const fields: Field[] = [
    ['thread', `${store.threadName(utid)} (utid ${utid})`],
    ['L4 id', th?.l4Id ?? '?'],
    ['kind', th?.kind ?? '?'],
    ['task', String(th?.task ?? '?')],
    ['priority', String(th?.priority ?? '?')],
  ];
  const states = renderer.states(utid);
  if (at !== undefined) {
    const s = stateAt(states, at);
    fields.push(['at', fmtTime(at, cpu)], ['state', s ? `${s.state} from ${fmtTime(s.from, cpu)} to ${fmtTime(s.to, cpu)}` : 'unknown (no scheduling data here)']);
  }
  if (th?.finalState) fields.push(['at the end', `${th.finalState}${th.openCall ? ` (in ${th.openCall})` : ''}`]);
  return { title: store.threadName(utid), fields };
}

export function describe(store: Store, sel: Exclude<NonNullable<Selection>, { kind: 'thread' }>): Description {
  const h = store.header;
  const cpu = h.meta.cyclesPerUs;
  const t = (c: number): string => fmtTime(c, cpu);
  switch (sel.kind) {
    case 'slice': {
      const i = sel.index;
      const row = store.rows[store.sliceRow[i]!]!;
      const open = store.sliceOpen[i] === 1;
      const dur = store.sliceEnd[i]! - store.sliceTs[i]!;
      const fields: Field[] = [
        ['name', store.name(i)],
        ['category', h.categories[store.sliceCat[i]!] ?? '?'],
        ['thread', `${store.threadName(row.utid)} (utid ${row.utid})`],
        ['depth', String(row.depth)],
        ['start', t(store.sliceTs[i]!)],
        ['duration', open ? `unfinished at the end of the run (${t(dur)} so far)` : t(dur)],
        ['self time', t(store.selfTime(i))],
        ['sequence', `#${fmtInt(store.sliceSeq[i]!)} (l4trace replay --until ${store.sliceSeq[i]!} --inspect)`],
      ];
      return { title: store.name(i), fields, path: store.callPath(i), messages: sliceMessages(store, i, row.utid) };
    }
    case 'sched': {
      const i = sel.index;
      return {
        title: `${store.threadName(store.schedUtid[i]!)} on CPU`,
        fields: [
          ['thread', `${store.threadName(store.schedUtid[i]!)} (utid ${store.schedUtid[i]!})`],
          ['start', t(store.schedTs[i]!)],
          ['duration', t(store.schedEnd[i]! - store.schedTs[i]!)],
          ['switched in because', h.enums.switchReason[store.schedReason[i]!] ?? '?'],
          ['state when switched out', h.enums.endState[store.schedEndState[i]!] ?? '?'],
        ],
      };
    }
    case 'irq': {
      const i = sel.index;
      const d = store.irqDeliver[i]!;
      const hd = store.irqHandler[i]!;
      return {
        title: `IRQ ${store.irqNum[i]!}`,
        fields: [
          ['raised', t(store.irqTs[i]!)],
          ['delivered', d > 0 ? t(store.irqTs[i]! + d - 1) : store.irqCoalesced[i]! > 0 ? `coalesced into a pending raise (#${store.irqCoalesced[i]!})` : 'never'],
          ['latency', d > 0 ? t(d - 1) : '-'],
          ['handler', hd > 0 ? store.threadName(hd - 1) : '-'],
        ],
      };
    }
    case 'ipc':
      return { title: `IPC ${h.enums.ipcKind[store.ipcKind[sel.index]!] ?? ''}`, fields: messageFields(store, sel.index) };
    case 'signal': {
      const s = h.signals[sel.index]!;
      return {
        title: `${s.sig} to pid ${s.to}`,
        fields: [
          ['sent', t(s.ts)],
          ['sent by', `${store.threadName(s.utid)} for pid ${s.from}`],
          ['to', `pid ${s.to}`],
          ['path', s.path],
          ['kick result', s.kick],
          ['delivered', s.tsDeliver !== null ? t(s.tsDeliver) : 'never'],
          ['action', s.action ?? '-'],
        ],
      };
    }
  }
}

export function messageFields(store: Store, i: number): Field[] {
  const h = store.header;
  const cpu = h.meta.cyclesPerUs;
  const ts = store.ipcTs[i]!;
  const recv = store.ipcReceiver[i]!;
  const dest = store.ipcDest[i]!;
  const r = store.ipcRecv[i]!;
  const rp = store.ipcReply[i]!;
  return [
    ['operation', h.enums.ipcKind[store.ipcKind[i]!] ?? '?'],
    ['from', store.threadName(store.ipcSender[i]!)],
    ['to', dest > 0 ? store.threadName(dest - 1) : 'a thread outside the trace'],
    ['received by', recv > 0 ? store.threadName(recv - 1) : 'nobody'],
    ['sent', fmtTime(ts, cpu)],
    ['received', r > 0 ? fmtTime(ts + r - 1, cpu) : 'never'],
    ['reply', rp > 0 ? fmtTime(ts + rp - 1, cpu) : '-'],
    ['result', resultText(store, i)],
    ['label', `0x${store.ipcLabel[i]!.toString(16)}`],
    ['words / bytes', `${store.ipcWords[i]!} / ${store.ipcBytes[i]!}`],
  ];
}

/** The operation's result, or why it has none (still waiting at the end, or the trace was cut). */
function resultText(store: Store, i: number): string {
  const r = store.header.enums.ipcResult[store.ipcResult[i]!];
  if (r) return r;
  if (store.ipcReceiver[i]! <= 0) return `none: ${store.pendingText(i)}`;
  return store.truncated ? 'none: the operation had not finished when the trace was cut' : 'none: the operation had not finished by the end of the run';
}

/** The messages an IPC slice sent (at its start) and received (at its end). */
function sliceMessages(store: Store, i: number, utid: number): Field[][] {
  const out: Field[][] = [];
  const t0 = store.sliceTs[i]!;
  const t1 = store.sliceEnd[i]!;
  const a = lowerBound(store.ipcTs, t0);
  const b = upperBound(store.ipcTs, t0);
  for (let k = a; k < b && out.length < 20; k++) if (store.ipcSender[k] === utid) out.push([['sent', ''], ...messageFields(store, k)]);
  // Received: messages to this thread arriving when the slice ends.
  const from = lowerBound(store.ipcTs, t1 - store.ipcMaxLatency);
  const to = upperBound(store.ipcTs, t1);
  for (let k = from; k < to && out.length < 20; k++) {
    const r = store.ipcRecv[k]!;
    if (store.ipcReceiver[k] === utid + 1 && r > 0 && store.ipcTs[k]! + r - 1 === t1) out.push([['received', ''], ...messageFields(store, k)]);
  }
  return out;
}
