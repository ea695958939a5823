/**
 * The kernel's own memory: thread control blocks, page directories, page tables and mapping-database
 * nodes come from one pool (docs/l4-kmem.md has the sizes, their sources and the errors).
 *
 * By default the pool grows as needed (what Fiasco does, and what every run did before the pool
 * existed: nothing is ever refused, and nothing of it reaches the trace). With the spec's `kmem` the
 * pool has that fixed size, as L4Ka::Pistachio's has (Kickstart hands the kernel ADDITIONAL_KMEM_SIZE
 * bytes at boot and the kernel never gets more). What happens when it runs out is the flavour's:
 *
 *   v2 (Fiasco): the operation that needed the memory fails. task_new returns the nil id (Fiasco's
 *       sys_task_new: `s = new Task(taskno); if (!s) break;`), lthread_ex_regs cannot create the
 *       thread, and a map that needs a page table or a mapping node fails the IPC with REMAPFAILED /
 *       SEMAPFAILED (Fiasco's map_util: `case Insert_err_nomem: condition.error(Ipc_err::Remapfailed)`).
 *   x2 (Pistachio): kmem_t::alloc enters the kernel debugger, `enter_kdebug("kmem_alloc: out of
 *       kernel memory")` (generic/kmemory.cc; a kernel built without the debugger spins there for
 *       ever): the whole machine stops, outcome `fault`.
 */
import { Kind } from '../../tracer/catalogue.js';
import type { FlavourName } from './flavour.js';
import type { Kernel } from './kernel.js';
import type { Thread } from './thread.js';

export interface KmemSizes {
  /** A thread control block with its kernel stack. */
  tcb: number;
  /** A task's page directory (IA32: 1024 entries of 4 bytes). */
  pageDirectory: number;
  /** A second-level page table, one per 4 MiB region that has mappings. */
  pageTable: number;
  /** One node of the mapping database (one per page mapped from another space). */
  mapNode: number;
}

export type KmemExhaustion = 'fail-op' | 'kdb';

export interface KmemProfile {
  sizes: KmemSizes;
  /** What the kernel does when an allocation does not fit (see the file comment). */
  exhausted: KmemExhaustion;
}

/** Per flavour; the sources are in docs/l4-kmem.md. */
export const KMEM_PROFILES: Record<FlavourName, KmemProfile> = {
  // Fiasco: THREAD_BLOCK_SIZE 0x800 (config_tcbsize.h, without CONFIG_CONTEXT_4K); Mapping_entry is a
  // packed 4-byte word plus a 1-byte depth (mapping-ia32-ux.cpp).
  v2: { sizes: { tcb: 0x800, pageDirectory: 4096, pageTable: 4096, mapNode: 5 }, exhausted: 'fail-op' },
  // Pistachio ia32: KTCB_SIZE = 1 << KTCB_BITS = 2 KiB (glue/v4-ia32/config.h); mapnode_t is three
  // words (generic/mapping.h).
  x2: { sizes: { tcb: 1 << 11, pageDirectory: 4096, pageTable: 4096, mapNode: 12 }, exhausted: 'kdb' },
};

/** Kickstart's ADDITIONAL_KMEM_SIZE (user/util/kickstart/ia32.cc, 2003: 16*1024*1024). */
export const KICKSTART_KMEM = 16 << 20;

/** What an allocation was for (the MARKER's value in the trace names it too). */
export const KmemUse = { TCB: 1, TASK: 2, PAGE_TABLE: 3, MAP_NODE: 4 } as const;

/** A 4 MiB region of the 32-bit address space. */
export const REGIONS = 1024;

export class KernelMemory {
  /** Bytes allocated now. */
  used = 0;
  /** Most bytes allocated at once. */
  peak = 0;
  /** Allocations refused. */
  failures = 0;
  /** Set by a map that did not fit (mapdb.ts); the IPC that mapped reads and clears it. */
  mapFailed = 0;
  readonly sizes: KmemSizes;
  readonly exhausted: KmemExhaustion;

  /** `limit` bytes, or Infinity: the pool grows as needed. */
  constructor(
    profile: KmemProfile,
    readonly limit = Infinity,
  ) {
    this.sizes = profile.sizes;
    this.exhausted = profile.exhausted;
  }

  /** Whether the pool has a fixed size (only then does it report metrics). */
  get fixed(): boolean {
    return this.limit !== Infinity;
  }

  fits(bytes: number): boolean {
    return this.used + bytes <= this.limit;
  }

  /** Take `bytes` if they fit; a refusal is counted. */
  alloc(bytes: number): boolean {
    if (this.used + bytes > this.limit) {
      this.failures++;
      return false;
    }
    this.take(bytes);
    return true;
  }

  /** Take `bytes` unconditionally (boot-time objects, or after `fits`). */
  take(bytes: number): void {
    this.used += bytes;
    if (this.used > this.peak) this.peak = this.used;
  }

  free(bytes: number): void {
    this.used -= bytes;
  }
}

const USE_NAMES: Record<number, string> = { 1: 'a thread control block', 2: 'a task (page directory and thread control block)', 3: 'a page table', 4: 'a mapping node' };

/**
 * The kernel failed to allocate `bytes` for `use` during `op` of thread `t`. Marks it in `t`'s trace;
 * on Pistachio the machine stops in the kernel debugger. The caller fails the operation either way
 * (its event shows the failure).
 */
export function kmemExhausted(k: Kernel, t: Thread, use: number, bytes: number, op: string): void {
  const pool = k.kmem;
  const left = pool.limit - pool.used;
  const what = `${op}: no kernel memory for ${USE_NAMES[use] ?? 'an object'} (${bytes} bytes needed, ${left} of ${pool.limit} left)`;
  if (pool.exhausted === 'kdb') {
    k.ev(t, Kind.MARKER, k.recorder.intern('kmem_alloc: out of kernel memory'), use);
    if (!k.stopping) k.stopping = { outcome: 'fault', detail: `kernel debugger entered: kmem_alloc: out of kernel memory (${t.name}, ${what})` };
  } else {
    k.ev(t, Kind.MARKER, k.recorder.intern(`out of kernel memory: ${op}`), use);
  }
}

/**
 * Check that `bytes` for `use` fit before an operation creates its objects. False when they do not:
 * the failure is counted and marked (`kmemExhausted`), and the caller fails the operation.
 */
export function kmemCheck(k: Kernel, t: Thread, use: number, bytes: number, op: string): boolean {
  const pool = k.kmem;
  if (pool.fits(bytes)) return true;
  pool.failures++;
  kmemExhausted(k, t, use, bytes, op);
  return false;
}

/** The pool's figures as metrics (only for a fixed-size pool, so runs without `kmem` keep theirs). */
export function kmemMetrics(k: Kernel): void {
  const pool = k.kmem;
  if (!pool.fixed) return;
  k.metric('kmem.size', pool.limit, 'bytes');
  k.metric('kmem.used', pool.used, 'bytes');
  k.metric('kmem.peak', pool.peak, 'bytes');
  k.metric('kmem.failures', pool.failures, 'allocations');
}
