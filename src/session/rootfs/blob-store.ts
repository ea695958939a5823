/** File contents held in memory by their SHA-256 (hex): the store of a root file system read from the host or a trace. */
import type { BlobStore } from '../../l4linux/vfs/rootfs-image.js';

export class MemoryBlobStore implements BlobStore {
  constructor(readonly blobs: ReadonlyMap<string, Uint8Array>) {}

  get(sha256: string): Uint8Array | undefined {
    return this.blobs.get(sha256);
  }
}
