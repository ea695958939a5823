/**
 * A root file system in a trace: its tree goes into the header (Header.rootfs), the contents the run
 * read into FileBlob packets before the footer (trace.proto). Recording and replay both wrap the image's
 * store in a TrackingBlobStore, shared by the recorded run and its comparison runs, so both write the
 * same blobs; a replay's store holds only what the trace embeds, so a run that reads more gets no data
 * (the VFS reports EIO) and diverges instead of passing for identical.
 */
import { RootEntryKind, type FileBlobData, type RootEntryData, type RootFsData } from '../../../tracer/packets.js';
import type { TraceReader } from '../../../tracer/reader.js';
import { hex } from '../../../tracer/rootfs.js';
import { TrackingBlobStore, type RootEntry, type RootFsImage } from '../../l4linux/vfs/rootfs-image.js';
import { MemoryBlobStore } from './blob-store.js';

const KIND_IDS: Record<RootEntry['kind'], number> = { dir: RootEntryKind.DIR, file: RootEntryKind.FILE, symlink: RootEntryKind.SYMLINK };
const KIND_NAMES: Record<number, RootEntry['kind']> = { [RootEntryKind.DIR]: 'dir', [RootEntryKind.FILE]: 'file', [RootEntryKind.SYMLINK]: 'symlink' };

/** The header's form of an image's tree. */
export function rootfsToTrace(image: RootFsImage): RootFsData {
  return {
    entries: image.entries.map(
      (e): RootEntryData => ({ ...e, kind: KIND_IDS[e.kind], sha256: e.sha256 ? Buffer.from(e.sha256, 'hex') : new Uint8Array(0) }),
    ),
  };
}

/** The image a trace embeds: its tree from the header (checked by the reader), its store the trace's blobs alone. */
export function rootfsFromTrace(reader: TraceReader): RootFsImage | null {
  const fs = reader.header.rootfs;
  if (!fs) return null;
  const entries = fs.entries.map((e): RootEntry => ({ ...e, kind: KIND_NAMES[e.kind]!, sha256: hex(e.sha256) }));
  return { entries, blobs: new MemoryBlobStore(reader.blobs()) };
}

/** An image whose store records what a run reads, and the blobs to embed once it has run. */
export interface TrackedRootFs {
  image: RootFsImage | null;
  /** The contents read so far, sorted by hash (FileBlob packets). */
  blobs(): FileBlobData[];
}

export function trackRootfs(image: RootFsImage | null): TrackedRootFs {
  if (!image) return { image: null, blobs: () => [] };
  const store = new TrackingBlobStore(image.blobs);
  return {
    image: { entries: image.entries, blobs: store },
    blobs: () =>
      [...store.used].sort().map((sha) => ({ sha256: Buffer.from(sha, 'hex'), data: image.blobs.get(sha)! })),
  };
}
