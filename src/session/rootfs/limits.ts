/**
 * Bounds on a root file system read from the host (`--rootfs DIR|FILE.tar`, the built-in one). They are
 * the trace format's own (tracer/limits.ts), so a recording never embeds a tree a reader would refuse:
 * at most 200,000 entries, 1 GiB of distinct file content (held in memory while the run lasts), 128 MiB
 * per file, paths of 4095 bytes with components of 255, symlink targets of 4095 bytes, 128 MiB of metadata
 * in the trace header. A tar's metadata members (pax headers, GNU long names) are bounded on their own,
 * before they are read.
 */
import { LIMITS } from '../../../tracer/limits.js';

export const ROOTFS_LIMITS = {
  entries: LIMITS.rootfsEntries,
  contentBytes: LIMITS.rootfsBytes,
  fileBytes: LIMITS.rootfsFileBytes,
  pathBytes: LIMITS.rootfsPathBytes,
  targetBytes: LIMITS.rootfsTargetBytes,
  /** The largest mtime kept; later ones (and negative ones) are clamped into [0, this]. */
  maxMtime: LIMITS.rootfsMtime - 1,
  /** A pax extended header or a GNU long name / long link member. */
  tarMetadataBytes: 1 << 20,
  /**
   * The tree's metadata as the trace header holds it (paths, targets, links, about 60 bytes of fields
   * per entry): a header packet may not exceed 256 MiB (tracer/format.ts), so half of that.
   */
  headerBytes: 128 << 20,
} as const;
