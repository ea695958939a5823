/**
 * The FileBlob packets of a trace as a reader meets them: each is checked against the header's root file
 * system before it is believed (its hash is the SHA-256 of its bytes, some entry has that hash and size,
 * blobs come sorted by hash, each once) and only indexed; `TraceReader.blobs()` reads them back.
 */
import { createHash } from 'node:crypto';
import { TraceFormatError } from './errors.js';
import { sameBytes } from './framing.js';
import type { FileBlobData } from './packets.js';
import { hex } from './rootfs.js';

/** Where a blob lies in the file, and what it holds. */
export interface BlobRef {
  offset: number;
  bodyStart: number;
  bodyLength: number;
  index: number;
  /** SHA-256 of its data, lower-case hex. */
  sha256: string;
  size: number;
}

export class BlobIndex {
  readonly refs: BlobRef[] = [];
  /** Bytes of file content the blobs hold. */
  bytes = 0;

  /** `sizes`: the root file system's file sizes by content hash (rootfs.ts contentSizes). */
  constructor(private readonly sizes: ReadonlyMap<string, number>) {}

  /** Check one decoded blob and index it (`ref` without its hash and size). */
  take(blob: FileBlobData, ref: Omit<BlobRef, 'sha256' | 'size'>): void {
    const bad = (what: string): never => {
      throw new TraceFormatError('BAD_PACKET', `file blob: ${what}`, ref.offset);
    };
    if (blob.sha256.length !== 32) bad(`its hash has ${blob.sha256.length} bytes (SHA-256 has 32)`);
    const sha = hex(blob.sha256);
    const size = this.sizes.get(sha);
    if (size === undefined) bad(`${sha} is the content of no file in the header's root file system`);
    if (blob.data.length !== size) bad(`${sha} holds ${blob.data.length} bytes, its file ${size}`);
    const last = this.refs[this.refs.length - 1];
    if (last && last.sha256 >= sha) bad(`${sha} comes after ${last.sha256} (blobs are sorted by hash, each once)`);
    if (!sameBytes(createHash('sha256').update(blob.data).digest(), blob.sha256)) bad(`its bytes do not match its SHA-256 ${sha}`);
    this.refs.push({ ...ref, sha256: sha, size: blob.data.length });
    this.bytes += blob.data.length;
  }
}
