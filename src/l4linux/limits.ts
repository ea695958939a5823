/**
 * What a guest may make the Linux server hold: files, open files, processes. Guests may come from
 * strangers (DESIGN §8), so everything they can grow is bounded, and the bounds are Linux's own
 * defaults, derived as Linux derives them from the machine's memory: the scenario's `physFrames`,
 * never the host's. A run that stays below them behaves exactly as before they existed.
 */

/** Pages of 4 KiB, as Linux counts memory. */
export const PAGE_BYTES = 4096;

/** 2.4's NR_FILE: open files system-wide (files_stat.max_files; 2.4 does not scale it with memory). */
export const NR_FILE = 8192;

export interface LinuxLimits {
  /** Pages of file data the in-memory file system holds (tmpfs's default size: half of RAM). */
  fsPages: number;
  /** Regular files it holds (tmpfs's default nr_inodes: half of RAM, counted in pages). */
  fsInodes: number;
  /**
   * Processes, zombies included (2.4 fork_init: max_threads = mempages / (THREAD_SIZE / PAGE_SIZE) / 8
   * with an 8 KiB THREAD_SIZE on i386); fork fails with EAGAIN at the limit.
   */
  maxThreads: number;
  /** Open files (struct file) system-wide: open and pipe fail with ENFILE at the limit. */
  maxFiles: number;
}

/** The limits of a machine with `physFrames` pages of memory. */
export function linuxLimits(physFrames: number): LinuxLimits {
  const half = Math.floor(physFrames / 2);
  return { fsPages: half, fsInodes: half, maxThreads: Math.floor(physFrames / 16), maxFiles: NR_FILE };
}
