/**
 * Bounds on what a trace's small packets may claim, checked as each is read and before anything is
 * sized by them. A trace may come from a stranger: a header claiming 4,294,967,295 CPUs must be refused
 * here, not discovered by an analyzer allocating a track per CPU. The bounds are generous multiples of
 * what the machine can record (src/scenarios/spec.ts holds the recording side's limits).
 */
import { createHash } from 'node:crypto';
import { TraceFormatError } from './errors.js';
import { sameBytes } from './framing.js';
import type { FooterData, HeaderData, ThreadDescriptorData } from './packets.js';
import { checkRootFs } from './rootfs.js';

export const LIMITS = {
  /** The scenario file allows 16; the analyzer and viewer keep per-CPU state. */
  cpus: 64,
  /** 2^44 cycles: about 24 hours of simulated time at 200 MHz. */
  cycles: 2 ** 44,
  cyclesPerUs: 100_000,
  chunkEvents: 1 << 20,
  chunkBytes: 1 << 24,
  capacityChunks: 1 << 20,
  images: 256,
  quirks: 64,
  /**
   * A root file system (trace.proto RootFs): entries, distinct file content in bytes, one file's size
   * (its blob must fit a packet: MAX_PACKET_BYTES is 256 MiB), path, component and symlink target
   * lengths (Linux's PATH_MAX and NAME_MAX), and mtimes (2^40 s: beyond year 36000).
   */
  rootfsEntries: 200_000,
  rootfsBytes: 1 << 30,
  rootfsFileBytes: 128 << 20,
  rootfsPathBytes: 4095,
  rootfsNameBytes: 255,
  rootfsTargetBytes: 4095,
  rootfsMtime: 2 ** 40,
  /** Kinds of threads, buffer policies, entropy modes and outcomes known to this format (trace.proto). */
  threadKind: 4,
  policy: 2,
  entropy: 2,
  outcome: 6,
} as const;

function check(ok: boolean, what: string, offset: number): void {
  if (!ok) throw new TraceFormatError('BAD_HEADER', what, offset);
}

/** Refuse a header no recording can have. Embedded guest images must match their stored SHA-256. */
export function checkHeader(h: HeaderData, offset: number): void {
  check(h.cpus >= 1 && h.cpus <= LIMITS.cpus, `the header claims ${h.cpus} CPUs (1..${LIMITS.cpus} are possible)`, offset);
  check(h.cycleLimit <= LIMITS.cycles, `the header's cycle limit ${h.cycleLimit} is beyond ${LIMITS.cycles}`, offset);
  check(h.cyclesPerUs <= LIMITS.cyclesPerUs, `the header's clock rate ${h.cyclesPerUs} cycles/us is beyond ${LIMITS.cyclesPerUs}`, offset);
  check(h.entropy <= LIMITS.entropy, `unknown entropy mode ${h.entropy}`, offset);
  check(h.quirks.length <= LIMITS.quirks, `${h.quirks.length} quirk flags`, offset);
  const b = h.buffers;
  check(b.chunkEvents <= LIMITS.chunkEvents && b.chunkBytes <= LIMITS.chunkBytes, `chunk limits ${b.chunkEvents} events / ${b.chunkBytes} bytes are beyond ${LIMITS.chunkEvents} / ${LIMITS.chunkBytes}`, offset);
  check(b.policy <= LIMITS.policy && b.capacityChunks <= LIMITS.capacityChunks, `buffer policy ${b.policy} with capacity ${b.capacityChunks} chunks`, offset);
  check(h.images.length <= LIMITS.images, `${h.images.length} embedded images`, offset);
  const names = new Set<string>();
  for (const img of h.images) {
    check(img.name !== '' && !names.has(img.name), `embedded image name ${JSON.stringify(img.name)} is empty or repeated`, offset);
    names.add(img.name);
    const actual = createHash('sha256').update(img.data).digest();
    check(sameBytes(actual, img.sha256), `embedded image ${JSON.stringify(img.name)}: its bytes do not match its stored SHA-256`, offset);
  }
  if (h.rootfs) checkRootFs(h.rootfs, offset);
}

/** Refuse a thread descriptor that contradicts the header. */
export function checkThread(t: ThreadDescriptorData, h: HeaderData, offset: number): void {
  const bad = (what: string): never => {
    throw new TraceFormatError('BAD_PACKET', `thread descriptor #${t.index}: ${what}`, offset);
  };
  if (t.cpu >= h.cpus) bad(`CPU ${t.cpu} on a ${h.cpus}-CPU machine`);
  if (t.kind > LIMITS.threadKind) bad(`unknown thread kind ${t.kind}`);
  if (t.policy > LIMITS.policy || t.capacityChunks > LIMITS.capacityChunks) bad(`buffer policy ${t.policy} with capacity ${t.capacityChunks} chunks`);
}

/** Refuse a footer whose per-thread summaries do not fit the threads the file declares. */
export function checkFooter(f: FooterData, threads: number, offset: number): void {
  const bad = (what: string): never => {
    throw new TraceFormatError('BAD_PACKET', `footer: ${what}`, offset);
  };
  if (f.outcome > LIMITS.outcome) bad(`unknown outcome ${f.outcome}`);
  const seen = new Set<number>();
  for (const s of f.threads) {
    if (s.thread >= threads || seen.has(s.thread)) bad(`a summary for thread #${s.thread}, which the file does not declare once`);
    seen.add(s.thread);
  }
}
