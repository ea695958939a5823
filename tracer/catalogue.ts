/**
 * The event catalogue: every event kind, its payload fields in column order, and how each field is
 * stored. It mirrors the payload messages of trace.proto (a test keeps the two equal). The encoder and
 * decoder read the flat tables at the bottom, not the objects, so the hot paths stay monomorphic.
 */
import { KIND_LIMIT } from './format.js';
import { I386_SYSCALL_NAMES } from './syscall-names.js';

/** How a payload field is stored and shown. */
export type FieldRole =
  | 'u' // unsigned varint in the `u` column
  | 's' // signed (zigzag) varint in the `s` column
  | 'ref' // back reference: stored as (seq - referenced seq), decoded to an absolute seq, -1 = none
  | 'str' // string id (u column)
  | 'gid' // canonical L4 global id (u column)
  | 'hex'; // unsigned, shown in hex (addresses, descriptors)

export interface FieldSpec {
  readonly name: string;
  readonly role: FieldRole;
  /** Name of an enum (see ENUMS) used to print the value. */
  readonly enumName?: string;
  /** Not stored: derived while decoding (FUNC_EXIT's function comes from the open stack). */
  readonly implicit?: boolean;
}

export interface KindSpec {
  readonly id: number;
  readonly name: string;
  /** Payload message name in trace.proto. */
  readonly message: string;
  readonly fields: readonly FieldSpec[];
}

const u = (name: string, enumName?: string): FieldSpec => (enumName ? { name, role: 'u', enumName } : { name, role: 'u' });
const s = (name: string): FieldSpec => ({ name, role: 's' });
const ref = (name: string): FieldSpec => ({ name, role: 'ref' });
const str = (name: string): FieldSpec => ({ name, role: 'str' });
const gid = (name: string): FieldSpec => ({ name, role: 'gid' });
const hex = (name: string): FieldSpec => ({ name, role: 'hex' });

/** Kind numbers (trace.proto `Kind`). 1..19 follow Fiasco's tbuf types. */
export const Kind = {
  PF: 1,
  IPC: 2,
  IPC_RES: 3,
  UNMAP: 7,
  CONTEXT_SWITCH: 10,
  EXREGS: 11,
  PF_RES: 14,
  SCHED: 15,
  TASK_NEW: 19,
  FUNC_ENTER: 20,
  FUNC_EXIT: 21,
  IRQ_RAISE: 22,
  IRQ_DELIVER: 23,
  TIMEOUT: 24,
  THREAD_START: 25,
  THREAD_EXIT: 26,
  SYSCALL_ENTER: 27,
  SYSCALL_EXIT: 28,
  SIG_SEND: 29,
  SIG_DELIVER: 30,
  LX_SWITCH: 31,
  MARKER: 32,
} as const;

export const KINDS: readonly KindSpec[] = [
  { id: Kind.PF, name: 'PF', message: 'PfEvent', fields: [hex('pfa'), u('error'), hex('ip'), u('space')] },
  {
    id: Kind.IPC,
    name: 'IPC',
    message: 'IpcEvent',
    fields: [u('op', 'IpcOp'), gid('dst'), hex('snd_desc'), hex('rcv_desc'), hex('timeout'), hex('w0'), hex('w1'), hex('w2'), u('words'), u('bytes')],
  },
  {
    id: Kind.IPC_RES,
    name: 'IPC_RES',
    message: 'IpcResEvent',
    fields: [ref('pair'), ref('msg'), u('result', 'IpcError'), gid('src'), hex('w0'), hex('w1'), hex('w2'), u('words')],
  },
  { id: Kind.UNMAP, name: 'UNMAP', message: 'UnmapEvent', fields: [hex('fpage'), hex('mask'), u('mappings')] },
  {
    id: Kind.CONTEXT_SWITCH,
    name: 'CONTEXT_SWITCH',
    message: 'ContextSwitchEvent',
    fields: [u('cpu'), gid('dst'), u('reason', 'SwitchReason'), u('from_state', 'ThreadState'), u('from_prio'), u('dst_prio')],
  },
  {
    id: Kind.EXREGS,
    name: 'EXREGS',
    message: 'ExRegsEvent',
    fields: [gid('dst'), hex('old_ip'), hex('old_sp'), hex('new_ip'), hex('new_sp'), u('flags')],
  },
  { id: Kind.PF_RES, name: 'PF_RES', message: 'PfResEvent', fields: [ref('pair'), hex('pfa'), u('result', 'IpcError'), hex('fpage')] },
  { id: Kind.SCHED, name: 'SCHED', message: 'SchedEvent', fields: [u('mode', 'SchedMode'), gid('target'), u('prio'), u('left'), u('quantum')] },
  { id: Kind.TASK_NEW, name: 'TASK_NEW', message: 'TaskNewEvent', fields: [gid('task'), gid('pager'), hex('ip'), hex('sp'), u('mcp'), u('flags')] },
  { id: Kind.FUNC_ENTER, name: 'FUNC_ENTER', message: 'FuncEnterEvent', fields: [str('func')] },
  { id: Kind.FUNC_EXIT, name: 'FUNC_EXIT', message: 'FuncExitEvent', fields: [{ name: 'func', role: 'str', implicit: true }] },
  { id: Kind.IRQ_RAISE, name: 'IRQ_RAISE', message: 'IrqRaiseEvent', fields: [u('irq'), u('masked'), u('coalesced')] },
  { id: Kind.IRQ_DELIVER, name: 'IRQ_DELIVER', message: 'IrqDeliverEvent', fields: [u('irq'), gid('handler'), ref('raise'), gid('interrupted')] },
  { id: Kind.TIMEOUT, name: 'TIMEOUT', message: 'TimeoutEvent', fields: [u('op', 'TimeoutOp'), ref('pair'), u('deadline')] },
  { id: Kind.THREAD_START, name: 'THREAD_START', message: 'ThreadStartEvent', fields: [hex('ip'), hex('sp'), u('prio'), gid('creator')] },
  { id: Kind.THREAD_EXIT, name: 'THREAD_EXIT', message: 'ThreadExitEvent', fields: [u('reason', 'ExitReason'), s('code')] },
  { id: Kind.SYSCALL_ENTER, name: 'SYSCALL_ENTER', message: 'SyscallEnterEvent', fields: [u('pid'), u('nr', 'Syscall'), hex('a0'), hex('a1'), hex('a2')] },
  { id: Kind.SYSCALL_EXIT, name: 'SYSCALL_EXIT', message: 'SyscallExitEvent', fields: [u('pid'), u('nr', 'Syscall'), s('ret')] },
  {
    id: Kind.SIG_SEND,
    name: 'SIG_SEND',
    message: 'SigSendEvent',
    fields: [u('from_pid'), u('to_pid'), u('sig', 'Signal'), u('path', 'SigPath'), u('kick', 'IpcError')],
  },
  { id: Kind.SIG_DELIVER, name: 'SIG_DELIVER', message: 'SigDeliverEvent', fields: [u('pid'), u('sig', 'Signal'), hex('handler'), u('action', 'SigAction')] },
  { id: Kind.LX_SWITCH, name: 'LX_SWITCH', message: 'LxSwitchEvent', fields: [u('prev_pid'), u('next_pid')] },
  { id: Kind.MARKER, name: 'MARKER', message: 'MarkerEvent', fields: [str('text'), u('value')] },
];

/** IpcOp values whose operation sends a message: send, call, reply_wait, send_receive, pagefault, exception. */
export const IPC_SENDING_OPS: ReadonlySet<number> = new Set([1, 4, 5, 6, 7, 9]);

/** Value names for printing. Numbers follow trace.proto enums and the V2 ABI. */
export const ENUMS: Record<string, Record<number, string>> = {
  IpcOp: { 0: 'none', 1: 'send', 2: 'receive', 3: 'wait', 4: 'call', 5: 'reply_wait', 6: 'send_receive', 7: 'pagefault', 8: 'irq', 9: 'exception' },
  IpcError: {
    0: 'ok',
    0x10: 'ENOT_EXISTENT',
    0x20: 'RETIMEOUT',
    0x30: 'SETIMEOUT',
    0x40: 'RECANCELED',
    0x50: 'SECANCELED',
    0x60: 'REMAPFAILED',
    0x70: 'SEMAPFAILED',
    0x80: 'RESNDPFTO',
    0x90: 'SESNDPFTO',
    0xa0: 'RERCVPFTO',
    0xb0: 'SERCVPFTO',
    0xc0: 'REABORTED',
    0xd0: 'SEABORTED',
    0xe0: 'REMSGCUT',
    0xf0: 'SEMSGCUT',
  },
  SwitchReason: { 0: 'none', 1: 'block', 2: 'preempt', 3: 'timeslice', 4: 'yield', 5: 'donate', 6: 'exit', 7: 'idle', 8: 'start' },
  ThreadState: { 0: 'none', 1: 'ready', 2: 'sending', 3: 'receiving', 4: 'dead', 5: 'sleeping', 6: 'stopped' },
  SchedMode: { 0: 'none', 1: 'load', 2: 'expire', 3: 'set_param', 4: 'yield' },
  TimeoutOp: { 1: 'send', 2: 'receive', 3: 'pagefault', 4: 'sleep' },
  ExitReason: { 1: 'exited', 2: 'killed', 3: 'task_deleted', 4: 'fault' },
  SigPath: { 0: 'none', 1: 'in_kernel', 2: 'kick', 3: 'deferred', 4: 'ignored', 5: 'blocked', 6: 'server' },
  SigAction: { 1: 'handler', 2: 'terminate', 3: 'ignore', 4: 'stop', 5: 'continue' },
  Signal: {
    1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 5: 'SIGTRAP', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL',
    10: 'SIGUSR1', 11: 'SIGSEGV', 12: 'SIGUSR2', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM', 17: 'SIGCHLD', 18: 'SIGCONT',
    19: 'SIGSTOP', 20: 'SIGTSTP',
  },
  Syscall: I386_SYSCALL_NAMES,
};

// ---------------------------------------------------------------------------------------------------
// Flat tables for the hot paths.

/** Maximum number of stored payload fields of any kind. */
export const MAX_FIELDS = 10;

export const FLAG_SIGNED = 1;
export const FLAG_REF = 2;

/** KIND_BY_ID[id] = spec, or undefined for unknown ids. */
export const KIND_BY_ID: readonly (KindSpec | undefined)[] = (() => {
  const table: (KindSpec | undefined)[] = new Array(KIND_LIMIT).fill(undefined);
  for (const k of KINDS) table[k.id] = k;
  return table;
})();

export const KIND_BY_NAME: ReadonlyMap<string, KindSpec> = new Map(KINDS.map((k) => [k.name, k]));

/** Stored fields per kind (implicit fields excluded); 255 marks an unknown kind. */
export const STORED_ARITY = new Uint8Array(KIND_LIMIT).fill(255);
/** Decoded fields per kind (implicit ones included). */
export const DECODED_ARITY = new Uint8Array(KIND_LIMIT);
/** FIELD_FLAGS[kind * MAX_FIELDS + i] = FLAG_SIGNED | FLAG_REF of stored field i. */
export const FIELD_FLAGS = new Uint8Array(KIND_LIMIT * MAX_FIELDS);

for (const k of KINDS) {
  const stored = k.fields.filter((f) => !f.implicit);
  if (stored.length > MAX_FIELDS) throw new Error(`kind ${k.name} has more than ${MAX_FIELDS} fields`);
  STORED_ARITY[k.id] = stored.length;
  DECODED_ARITY[k.id] = k.fields.length;
  stored.forEach((f, i) => {
    FIELD_FLAGS[k.id * MAX_FIELDS + i] = (f.role === 's' ? FLAG_SIGNED : 0) | (f.role === 'ref' ? FLAG_REF : 0);
  });
}

export function kindName(id: number): string {
  return KIND_BY_ID[id]?.name ?? `KIND_${id}`;
}

/** Canonical L4 global id: task << 21 | lthread << 14 | version (32 bits). */
export function makeGid(task: number, lthread: number, version: number): number {
  return task * 0x200000 + lthread * 0x4000 + version;
}

export function splitGid(gid: number): { task: number; lthread: number; version: number } {
  return { task: Math.floor(gid / 0x200000), lthread: Math.floor(gid / 0x4000) & 0x7f, version: gid & 0x3fff };
}

/** Prints a gid the way Fiasco's jdb does: task.lthread (hex), plus the version when non-zero. */
export function formatGid(gid: number): string {
  if (gid === 0) return 'nil';
  if (gid === 0xffffffff) return 'invalid';
  const { task, lthread, version } = splitGid(gid);
  if (task === 0 && lthread === 0) return `irq${version - 1}`;
  return `${task.toString(16)}.${lthread.toString(16).padStart(2, '0')}${version ? `v${version}` : ''}`;
}
