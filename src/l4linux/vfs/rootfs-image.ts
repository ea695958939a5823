/**
 * A root file system as the machine receives it: the tree's metadata (every entry) and a store of file
 * contents by SHA-256. It is read from the host once, at record time (a directory or a tar, or the
 * built-in default), and embedded in the trace: the entries in the header, the contents a run read in
 * blob packets before the footer. The machine never reads the host: a replay's store is the trace's.
 */

export type RootEntryKind = 'dir' | 'file' | 'symlink';

export interface RootEntry {
  /** Absolute and normalised ('/bin/sh'): no '.', '..', doubled or trailing slash; never '/' itself. */
  path: string;
  kind: RootEntryKind;
  /** Permission bits (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Modification time, seconds since the epoch. */
  mtime: number;
  /** A file: its length in bytes (0 for the others). */
  size: number;
  /** A file: SHA-256 of its content, lower-case hex ('' for the others). */
  sha256: string;
  /** A symlink: its target, as written (absolute targets resolve inside this root). */
  target: string;
  /** A file that is a hard link of an earlier entry: that entry's path ('' otherwise). */
  linkTo: string;
}

/** File contents by their SHA-256 (lower-case hex). */
export interface BlobStore {
  get(sha256: string): Uint8Array | undefined;
}

export interface RootFsImage {
  /** Sorted by path (parents before children); every parent directory has an entry of its own. */
  entries: RootEntry[];
  blobs: BlobStore;
}

/** Records which blobs a run read, so the trace embeds exactly those. */
export class TrackingBlobStore implements BlobStore {
  readonly used = new Set<string>();
  constructor(private readonly inner: BlobStore) {}

  get(sha256: string): Uint8Array | undefined {
    const data = this.inner.get(sha256);
    if (data) this.used.add(sha256);
    return data;
  }
}
