/**
 * The root file system in a trace file (Header.rootfs, FileBlob packets): written and read back, readable
 * by protoc, and every way a stranger's file can lie about it refused before it is believed: paths,
 * order, parents, kinds, links, bounds (counted before the header is decoded), blob hashes, sizes,
 * order and place.
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PacketField } from '../../tracer/format.js';
import { LIMITS } from '../../tracer/limits.js';
import { emptyHeader, encodeFileBlob, RootEntryKind, type FileBlobData, type RootEntryData } from '../../tracer/packets.js';
import { TraceReader } from '../../tracer/reader.js';
import { MemorySink } from '../../tracer/sink.js';
import { Tracer } from '../../tracer/tracer.js';
import { TraceFormatError } from '../../tracer/errors.js';
import { comparePaths, symlinkEscapes } from '../../tracer/rootfs.js';
import { traceProtoPath } from '../../tracer/packets.js';
import { frameFile, packetsOf } from '../support/craft.js';

const enc = new TextEncoder();
const sha = (d: Uint8Array): Uint8Array => createHash('sha256').update(d).digest();
const blob = (s: string): FileBlobData => ({ sha256: sha(enc.encode(s)), data: enc.encode(s) });

const dir = (path: string, more: Partial<RootEntryData> = {}): RootEntryData => ({ path, kind: RootEntryKind.DIR, mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0, sha256: new Uint8Array(0), target: '', linkTo: '', ...more });
const file = (path: string, content: string, more: Partial<RootEntryData> = {}): RootEntryData => ({ ...dir(path), kind: RootEntryKind.FILE, mode: 0o644, size: enc.encode(content).length, sha256: sha(enc.encode(content)), ...more });
const symlink = (path: string, target: string): RootEntryData => ({ ...dir(path), kind: RootEntryKind.SYMLINK, mode: 0o777, target });

const TREE = (): RootEntryData[] => [dir('/bin'), file('/bin/a', 'alpha'), file('/bin/b', 'beta'), file('/bin/c', 'alpha', { linkTo: '/bin/a' }), symlink('/bin/sh', 'a'), dir('/etc'), symlink('/etc/x', '/bin/a')];
const sortedBlobs = (...b: FileBlobData[]): FileBlobData[] => b.sort((x, y) => Buffer.compare(Buffer.from(x.sha256), Buffer.from(y.sha256)));

/** A trace with a root file system and blobs (a thread with one event, so chunks and a tape come before them). */
function traceWith(entries: RootEntryData[] | null, blobs: FileBlobData[] = []): Uint8Array {
  const sink = new MemorySink();
  const t = new Tracer(sink, { ...emptyHeader(), scenarioName: 'test', rootfs: entries ? { entries } : null });
  const b = t.addThread({ l4Id: 1, name: 't', task: 1, lthread: 0, version: 1, kind: 0, cpu: 0, priority: 1 });
  t.choice(1, 0, 2);
  b.emit(32, 10, 0, 0);
  t.finish({ outcome: 1, endTime: 10, blobs });
  return sink.bytes();
}

function refusal(bytes: Uint8Array): TraceFormatError {
  try {
    TraceReader.fromBytes(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(TraceFormatError);
    return e as TraceFormatError;
  }
  throw new Error('the file was accepted');
}

const headerRefused = (entries: RootEntryData[], pattern: RegExp): void => {
  const e = refusal(traceWith(entries));
  expect(e.code).toBe('BAD_HEADER');
  expect(e.message).toMatch(pattern);
};

describe('a root file system in a trace', () => {
  it('round-trips: the tree in the header, the blobs before the footer, sorted by hash', () => {
    const blobs = sortedBlobs(blob('alpha'), blob('beta'));
    const bytes = traceWith(TREE(), blobs);
    const r = TraceReader.fromBytes(bytes);
    expect(r.header.rootfs!.entries.map((e) => e.path)).toEqual(TREE().map((e) => e.path));
    expect(r.header.rootfs!.entries[3]!.linkTo).toBe('/bin/a');
    expect([...r.blobs()].map(([h, d]) => [h, new TextDecoder().decode(d)])).toEqual(blobs.map((b) => [Buffer.from(b.sha256).toString('hex'), new TextDecoder().decode(b.data)]));
    expect(r.blobBytes).toBe(9);
    const fields = r.packetRefs.map((p) => p.field);
    expect(fields.slice(-3)).toEqual([PacketField.blob, PacketField.blob, PacketField.footer]);
  });

  it('a trace without one has no rootfs field (older traces keep their bytes); an empty one is kept as empty', () => {
    expect(TraceReader.fromBytes(traceWith(null)).header.rootfs).toBeNull();
    expect(TraceReader.fromBytes(traceWith([])).header.rootfs).toEqual({ entries: [] });
    expect(traceWith(null).length).toBeLessThan(traceWith([]).length);
  });

  it('protoc decodes a file with a root file system and blobs', () => {
    if (spawnSync('protoc', ['--version']).status !== 0) return;
    const bytes = traceWith(TREE(), sortedBlobs(blob('alpha'), blob('beta')));
    const proto = traceProtoPath();
    const text = execFileSync('protoc', [`--proto_path=${proto.slice(0, proto.lastIndexOf('/'))}`, '--decode=l4trace.TraceFile', 'trace.proto'], { input: bytes.subarray(8) }).toString();
    expect(text).toContain('path: "/bin/sh"');
    expect(text).toContain('kind: ROOT_SYMLINK');
    expect(text).toContain('link_to: "/bin/a"');
    expect(text).toContain('blob {');
    expect(text).toContain('data: "alpha"');
  });

  it('a changed byte in a blob fails its checksum; salvage drops that blob', () => {
    const bytes = traceWith(TREE(), sortedBlobs(blob('alpha'), blob('beta')));
    const at = Buffer.from(bytes).lastIndexOf(Buffer.from('alpha'));
    const bad = bytes.slice();
    bad[at] ^= 1;
    expect(refusal(bad).code).toBe('BAD_CHECK');
    const r = TraceReader.fromBytes(bad, { salvage: true });
    expect(r.blobRefs).toHaveLength(1);
    expect(r.damage[0]!.reason).toMatch(/file blob packet does not match its checksum/);
  });
});

describe('the header tree is checked before it is believed', () => {
  it('paths: absolute, normalised, no NUL, bounded', () => {
    for (const p of ['bin', '/', '/bin/', '/bin//a', '/bin/./a', '/bin/../a', '/a\0b', `/${'x'.repeat(256)}`, `/${'x/'.repeat(2048)}y`]) {
      headerRefused(p.startsWith('/bin') ? [dir('/bin'), dir(p)] : [dir(p)], /entry path .* (is not an absolute|has an empty|has a "\."|has a "\.\."|contains a NUL|has a component longer|is longer than)/);
    }
  });

  it('order, uniqueness and parents', () => {
    headerRefused([dir('/b'), dir('/a')], /entry "\/a" is out of order or repeated \(after "\/b"\)/);
    headerRefused([dir('/a'), dir('/a')], /out of order or repeated/);
    headerRefused([dir('/a/b')], /entry "\/a\/b" has no parent directory entry "\/a"/);
    headerRefused([file('/a', 'x'), dir('/a/b')], /has no parent directory entry "\/a"/);
  });

  it('kinds, modes, times and fields that belong to another kind', () => {
    headerRefused([{ ...dir('/a'), kind: 0 }], /has unknown kind 0/);
    headerRefused([{ ...dir('/a'), kind: 9 }], /has unknown kind 9/);
    headerRefused([dir('/a', { mode: 0o10000 })], /has mode 10000/);
    headerRefused([dir('/a', { mtime: 2 ** 40 })], /has mtime/);
    headerRefused([dir('/a', { size: 3 })], /is not a file but has a size/);
    headerRefused([dir('/a', { target: 'x' })], /is not a symlink but has a target/);
    headerRefused([file('/a', 'x', { sha256: new Uint8Array(31) })], /has a 31-byte content hash/);
    headerRefused([file('/a', 'x', { size: LIMITS.rootfsFileBytes + 1 })], /a file holds at most/);
  });

  it('symlinks: a relative target may not climb above the root, an absolute one is fine', () => {
    headerRefused([dir('/a'), symlink('/a/l', '../../x')], /entry "\/a\/l" points outside the root file system/);
    headerRefused([symlink('/l', '')], /has an empty target/);
    expect(TraceReader.fromBytes(traceWith([dir('/a'), symlink('/a/l', '/../../x'), symlink('/a/m', '../x')])).header.rootfs!.entries).toHaveLength(3);
    expect(symlinkEscapes('/a/b/l', '../../x')).toBe(false);
    expect(symlinkEscapes('/a/b/l', '../../../x')).toBe(true);
    expect(symlinkEscapes('/l', 'x/../..')).toBe(true);
  });

  it('hard links name an earlier file that is no link itself, with the same metadata', () => {
    headerRefused([file('/a', 'x', { linkTo: '/b' }), file('/b', 'x')], /is a hard link to "\/b", which is not an earlier file/);
    headerRefused([file('/a', 'x'), file('/b', 'x', { linkTo: '/a' }), file('/c', 'x', { linkTo: '/b' })], /not an earlier file that is no link itself/);
    headerRefused([file('/a', 'x'), file('/b', 'x', { linkTo: '/a', mode: 0o600 })], /is a hard link to "\/a" but differs from it/);
    headerRefused([dir('/d'), file('/f', 'x', { linkTo: '/d' })], /which is not an earlier file/);
  });

  it('the total content is bounded', () => {
    const big = Array.from({ length: 9 }, (_, i) => file(`/f${i}`, String(i), { size: LIMITS.rootfsFileBytes }));
    headerRefused(big, new RegExp(`its files hold ${9 * LIMITS.rootfsFileBytes} bytes of content \\(at most ${LIMITS.rootfsBytes}\\)`));
  });

  it('the entries are counted before the header is decoded', () => {
    const many = [dir('/d'), ...Array.from({ length: LIMITS.rootfsEntries }, (_, i) => dir(`/d/${i}`))];
    const e = refusal(traceWith(many));
    expect(e.code).toBe('BAD_HEADER');
    expect(e.message).toMatch(`the root file system: ${LIMITS.rootfsEntries + 1} entries (at most ${LIMITS.rootfsEntries})`);
  });

  it('entry order is UTF-8 byte order', () => {
    const paths = ['/a', '/a-b', '/a/b', '/z', '/\u{e000}', '/\u{10000}'];
    expect([...paths].reverse().sort(comparePaths)).toEqual(paths);
    expect(paths.map((p) => Buffer.from(p)).sort(Buffer.compare).map(String)).toEqual(paths);
  });
});

describe('file blobs are checked before they are believed', () => {
  const blobRefused = (bytes: Uint8Array, pattern: RegExp, code = 'BAD_PACKET'): void => {
    const e = refusal(bytes);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(pattern);
  };
  /** The same trace with its blob packets replaced, every check made valid again. */
  const withBlobs = (bytes: Uint8Array, blobs: Uint8Array[]): Uint8Array => {
    const packets = packetsOf(bytes).filter((p) => p.field !== PacketField.blob);
    const footer = packets.pop()!;
    return frameFile([...packets, ...blobs.map((body) => ({ field: PacketField.blob, body })), footer]);
  };
  const base = (): Uint8Array => traceWith(TREE(), []);

  it('a blob must match its hash, be some file\'s content and have its size', () => {
    blobRefused(withBlobs(base(), [encodeFileBlob({ sha256: blob('alpha').sha256, data: enc.encode('alphA') })]), /holds 5 bytes|do not match its SHA-256/);
    blobRefused(withBlobs(base(), [encodeFileBlob({ sha256: blob('alpha').sha256, data: enc.encode('alphA') })]), /its bytes do not match its SHA-256/);
    blobRefused(withBlobs(base(), [encodeFileBlob(blob('gamma'))]), /is the content of no file in the header's root file system/);
    blobRefused(withBlobs(base(), [encodeFileBlob({ sha256: new Uint8Array(31), data: new Uint8Array(0) })]), /its hash has 31 bytes/);
    blobRefused(withBlobs(traceWith(null), [encodeFileBlob(blob('alpha'))]), /is the content of no file/);
    const wrongSize = traceWith([file('/a', 'alpha', { size: 7 })]);
    blobRefused(withBlobs(wrongSize, [encodeFileBlob(blob('alpha'))]), /holds 5 bytes, its file 7/);
  });

  it('blobs come sorted by hash, each once', () => {
    const [x, y] = sortedBlobs(blob('alpha'), blob('beta'));
    blobRefused(withBlobs(base(), [encodeFileBlob(y!), encodeFileBlob(x!)]), /comes after .* \(blobs are sorted by hash, each once\)/);
    blobRefused(withBlobs(base(), [encodeFileBlob(x!), encodeFileBlob(x!)]), /sorted by hash, each once/);
  });

  it('blobs come last, before the footer', () => {
    const packets = packetsOf(base());
    const footer = packets.pop()!;
    const chunkAt = packets.findIndex((p) => p.field === PacketField.chunk);
    const moved = [...packets.slice(0, chunkAt), { field: PacketField.blob, body: encodeFileBlob(blob('alpha')) }, ...packets.slice(chunkAt), footer];
    blobRefused(frameFile(moved), /a event chunk packet after the file blobs/, 'BAD_ORDER');
  });

  it('the writer refuses unsorted blobs', () => {
    const [x, y] = sortedBlobs(blob('alpha'), blob('beta'));
    expect(() => traceWith(TREE(), [y!, x!])).toThrow(/sorted by hash/);
  });
});
