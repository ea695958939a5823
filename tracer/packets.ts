/**
 * Codec for the small packets (Header, StringTable, ThreadDescriptor, Footer) through protobufjs and
 * the trace.proto contract. Event and choice chunks are hot and have their own hand-written codec
 * (tracer/chunk-codec.ts); everything else goes through here so trace.proto stays the one source of truth.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { TraceFormatError } from './errors.js';

export const BufferPolicy = { FLUSH: 0, DISCARD: 1, OVERWRITE: 2 } as const;
export const POLICY_NAMES = ['flush', 'discard', 'overwrite'] as const;

export const ThreadKind = { MODEL: 0, IA32: 1, IRQ: 2, IDLE: 3, SYNTHETIC: 4 } as const;
export const THREAD_KIND_NAMES = ['model', 'ia32', 'irq', 'idle', 'synthetic'] as const;

export const Outcome = { NONE: 0, OK: 1, DEADLOCK: 2, HANG: 3, FAULT: 4, LIMIT: 5, FAIL: 6 } as const;
export const OUTCOME_NAMES = ['none', 'ok', 'deadlock', 'hang', 'fault', 'limit', 'fail'] as const;
export type OutcomeName = (typeof OUTCOME_NAMES)[number];

export interface GuestImageData {
  name: string;
  sha256: Uint8Array;
  data: Uint8Array;
}

/** RootEntry.kind (trace.proto). */
export const RootEntryKind = { NONE: 0, DIR: 1, FILE: 2, SYMLINK: 3 } as const;

export interface RootEntryData {
  path: string;
  kind: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size: number;
  sha256: Uint8Array;
  target: string;
  linkTo: string;
}

export interface RootFsData {
  entries: RootEntryData[];
}

export interface FileBlobData {
  sha256: Uint8Array;
  data: Uint8Array;
}

export interface BufferConfigData {
  chunkEvents: number;
  chunkBytes: number;
  policy: number;
  capacityChunks: number;
}

export interface HeaderData {
  formatVersion: number;
  toolVersion: string;
  machineVersion: number;
  quirks: string[];
  scenarioName: string;
  scenarioJson: string;
  flavour: string;
  costProfileJson: string;
  images: GuestImageData[];
  entropy: number;
  seed: number;
  cpus: number;
  cyclesPerUs: number;
  buffers: BufferConfigData;
  filterRules: string;
  synthetic: boolean;
  cycleLimit: number;
  sideCostProfilesJson: string;
  /** The root file system's tree, or null when the run had none. */
  rootfs: RootFsData | null;
}

export interface ThreadDescriptorData {
  index: number;
  l4Id: number;
  name: number;
  task: number;
  lthread: number;
  version: number;
  kind: number;
  cpu: number;
  priority: number;
  policy: number;
  capacityChunks: number;
  linuxPid: number;
  createdSeq: number;
  taskName: number;
  /** The Linux process (thread group) of a thread that is not its leader; 0: linuxPid is its own. */
  linuxTgid?: number;
}

export interface StringTableData {
  firstId: number;
  value: string[];
}

export interface ThreadSummaryData {
  thread: number;
  events: number;
  eventsLost: number;
  chunks: number;
  chunksLost: number;
  hash: Uint8Array;
  unmatchedExits: number;
}

export interface StateDigestData {
  name: string;
  digest: Uint8Array;
}

export interface FooterData {
  outcome: number;
  outcomeDetail: string;
  events: number;
  eventsLost: number;
  endTime: number;
  nextSeq: number;
  threads: ThreadSummaryData[];
  stateDigest: Uint8Array;
  stateParts: StateDigestData[];
  choices: number;
  tapeHash: Uint8Array;
  metrics: MetricData[];
}

export interface MetricData {
  name: string;
  value: number;
  unit: string;
}

/** Locate trace.proto both from the sources (tracer/) and from the build (dist/tracer/). */
export function traceProtoPath(): string {
  const candidates = [new URL('./trace.proto', import.meta.url), new URL('../../tracer/trace.proto', import.meta.url)];
  for (const c of candidates) {
    const p = fileURLToPath(c);
    if (existsSync(p)) return p;
  }
  throw new Error('tracer/trace.proto not found next to the tracer module');
}

let cachedRoot: protobuf.Root | undefined;

/** The protobufjs reflection root of trace.proto. */
export function traceProtoRoot(): protobuf.Root {
  if (!cachedRoot) cachedRoot = protobuf.loadSync(traceProtoPath());
  return cachedRoot;
}

function type(name: string): protobuf.Type {
  return traceProtoRoot().lookupType(`l4trace.${name}`);
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: Number, defaults: true, arrays: true };

/**
 * Drop default values so the encoding is the canonical proto3 form (protobufjs writes any property
 * that is set, even when it is zero).
 */
function pruneDefaults(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pruneDefaults);
  if (value instanceof Uint8Array) return value.length ? value : undefined;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const p = pruneDefaults(v);
      if (p === undefined || p === 0 || p === '' || p === false) continue;
      if (Array.isArray(p) && p.length === 0) continue;
      out[k] = p;
    }
    return out;
  }
  return value;
}

function encodeMessage(name: string, data: object): Uint8Array {
  const t = type(name);
  return t.encode(t.fromObject(pruneDefaults(data) as Record<string, unknown>)).finish();
}

function decodeMessage<T>(name: string, bytes: Uint8Array, offset: number): T {
  const t = type(name);
  try {
    return t.toObject(t.decode(bytes), TO_OBJECT) as T;
  } catch (e) {
    throw new TraceFormatError('BAD_PACKET', `${name} packet does not decode: ${(e as Error).message}`, offset);
  }
}

export const encodeHeader = (h: HeaderData): Uint8Array => encodeMessage('Header', h);
export const encodeStringTable = (s: StringTableData): Uint8Array => encodeMessage('StringTable', s);
export const encodeThread = (t: ThreadDescriptorData): Uint8Array => encodeMessage('ThreadDescriptor', t);
export const encodeFooter = (f: FooterData): Uint8Array => encodeMessage('Footer', f);
export const encodeFileBlob = (b: FileBlobData): Uint8Array => encodeMessage('FileBlob', b);

export function decodeHeader(bytes: Uint8Array, offset: number): HeaderData {
  const h = decodeMessage<HeaderData>('Header', bytes, offset);
  h.buffers ??= { chunkEvents: 0, chunkBytes: 0, policy: 0, capacityChunks: 0 };
  h.rootfs ??= null;
  return h;
}
export const decodeStringTable = (b: Uint8Array, offset: number): StringTableData => decodeMessage('StringTable', b, offset);
export const decodeThread = (b: Uint8Array, offset: number): ThreadDescriptorData => decodeMessage('ThreadDescriptor', b, offset);
export const decodeFooter = (b: Uint8Array, offset: number): FooterData => decodeMessage('Footer', b, offset);
export const decodeFileBlob = (b: Uint8Array, offset: number): FileBlobData => decodeMessage('FileBlob', b, offset);

/** A header with every field at its neutral value; writers fill in what they know. */
export function emptyHeader(): HeaderData {
  return {
    formatVersion: 0,
    toolVersion: '',
    machineVersion: 0,
    quirks: [],
    scenarioName: '',
    scenarioJson: '',
    flavour: '',
    costProfileJson: '',
    images: [],
    entropy: 0,
    seed: 0,
    cpus: 1,
    cyclesPerUs: 0,
    buffers: { chunkEvents: 0, chunkBytes: 0, policy: 0, capacityChunks: 0 },
    filterRules: '',
    synthetic: false,
    cycleLimit: 0,
    sideCostProfilesJson: '',
    rootfs: null,
  };
}
