/**
 * Address spaces and the mapping database. Every mapped page is a node in a tree per physical frame:
 * sigma0 holds the roots (it owns all memory 1:1), a map adds a child in the receiver, a grant moves the
 * node, and unmap removes or write-protects a node's whole subtree (l4-semantics.md §1, §4.1).
 *
 * Kernel memory (kmem.ts): a space made with a pool pays for its page directory (the task's creator,
 * kernel.ts), a page table for each 4 MiB region the first time something is mapped there (kept until
 * the space is released, as the kernels keep theirs), and a node per page mapped into it. A map that
 * does not fit maps nothing and sets the pool's `mapFailed`.
 */
import { PageTable, PhysicalMemory, RWX, W } from '../ia32/memory.js';
import { KmemUse, REGIONS, type KernelMemory } from './kmem.js';

export class MapNode {
  readonly children: MapNode[] = [];
  constructor(
    public space: AddressSpace,
    public vpn: number,
    readonly frame: number,
    public rights: number,
    public parent: MapNode | null,
    /** The kernel memory that paid for this node (null: sigma0's roots, which the kernel has from boot). */
    readonly pool: KernelMemory | null = null,
  ) {}
}

export class AddressSpace {
  readonly pages = new PageTable();
  readonly nodes = new Map<number, MapNode>();
  /** With a pool: which 4 MiB regions have a page table, and how many. */
  readonly pageTables: Uint8Array | null;
  pageTableCount = 0;
  constructor(
    readonly task: number,
    readonly mem: PhysicalMemory,
    /** sigma0's space: every physical frame is implicitly mapped 1:1. */
    readonly identity = false,
    /** Where its page tables and mapping nodes come from (null: nowhere, as sigma0's and the kernel's). */
    readonly kmem: KernelMemory | null = null,
  ) {
    this.pageTables = kmem ? new Uint8Array(REGIONS) : null;
  }

  /** The node mapping `vpn`; for sigma0 the root node is created on first use. */
  node(vpn: number): MapNode | undefined {
    let n = this.nodes.get(vpn);
    if (!n && this.identity && vpn < this.mem.frames) {
      n = new MapNode(this, vpn, vpn, RWX, null);
      this.nodes.set(vpn, n);
      this.pages.set(vpn, vpn, RWX);
    }
    return n;
  }
}

/**
 * Map (or grant) one page. Returns false when the source has nothing mapped there (L4 silently maps
 * nothing). An existing mapping at the destination is replaced, except that re-mapping the same page
 * from the same parent only changes its rights.
 */
export function mapPage(from: AddressSpace, fromVpn: number, to: AddressSpace, toVpn: number, rights: number, grant: boolean): boolean {
  const src = from.node(fromVpn);
  if (!src) return false;
  const r = src.rights & rights;
  if (r === 0) return false;
  const existing = to.nodes.get(toVpn);
  if (existing === src) return true;
  if (existing && existing.parent === src) {
    existing.rights = r;
    to.pages.set(toVpn, existing.frame, r);
    return true;
  }
  const pool = to.kmem;
  if (pool !== null) {
    // Allocate before anything changes: a map that does not fit leaves both spaces as they were.
    const region = toVpn >>> 10;
    const table = to.pageTables![region] === 0;
    const bytes = (table ? pool.sizes.pageTable : 0) + (grant && !from.identity ? 0 : pool.sizes.mapNode);
    if (bytes > 0 && !pool.alloc(bytes)) {
      pool.mapFailed = table ? KmemUse.PAGE_TABLE : KmemUse.MAP_NODE;
      return false;
    }
    if (table) {
      to.pageTables![region] = 1;
      to.pageTableCount++;
    }
  }
  if (existing) removeSubtree(existing);
  if (grant && !from.identity) {
    from.nodes.delete(fromVpn);
    from.pages.clear(fromVpn);
    src.space = to;
    src.vpn = toVpn;
    src.rights = r;
    to.nodes.set(toVpn, src);
    to.pages.set(toVpn, src.frame, r);
  } else {
    const child = new MapNode(to, toVpn, src.frame, r, src, pool);
    src.children.push(child);
    to.nodes.set(toVpn, child);
    to.pages.set(toVpn, src.frame, r);
  }
  return true;
}

/** Remove a node and everything mapped from it. Returns the number of nodes removed. */
export function removeSubtree(n: MapNode): number {
  let count = 1;
  while (n.children.length > 0) count += removeSubtree(n.children[n.children.length - 1]!);
  n.space.nodes.delete(n.vpn);
  n.space.pages.clear(n.vpn);
  if (n.pool !== null) n.pool.free(n.pool.sizes.mapNode);
  if (n.parent) {
    const siblings = n.parent.children;
    const i = siblings.indexOf(n);
    if (i >= 0) siblings.splice(i, 1);
  }
  return count;
}

function downgradeSubtree(n: MapNode, self: boolean): number {
  let count = 0;
  if (self && n.rights & W) {
    n.rights &= ~W;
    n.space.pages.set(n.vpn, n.frame, n.rights);
    count++;
  }
  for (const c of n.children) count += downgradeSubtree(c, true);
  return count;
}

/**
 * fpage_unmap for one page: remove (or, with `downgrade`, write-protect) the mappings derived from
 * `space`'s page, and the page itself too when `self` is set. Returns the nodes affected.
 */
export function unmapPage(space: AddressSpace, vpn: number, downgrade: boolean, self: boolean): number {
  const n = space.nodes.get(vpn);
  if (!n) return 0;
  if (downgrade) return downgradeSubtree(n, self);
  let count = 0;
  while (n.children.length > 0) count += removeSubtree(n.children[n.children.length - 1]!);
  if (self && !space.identity) count += removeSubtree(n);
  return count;
}

/** Tear down a whole space (task deletion). Returns the number of nodes removed. */
export function flushSpace(space: AddressSpace): number {
  let count = 0;
  for (const n of [...space.nodes.values()]) if (space.nodes.get(n.vpn) === n) count += removeSubtree(n);
  return count;
}

/**
 * A deleted task's space gives its kernel memory back: its page tables and page directory (its
 * mapping nodes went with `flushSpace`). Returns the bytes freed.
 */
export function releaseSpace(space: AddressSpace): number {
  const pool = space.kmem;
  if (pool === null || space.pageTables === null) return 0;
  const bytes = space.pageTableCount * pool.sizes.pageTable + pool.sizes.pageDirectory;
  pool.free(bytes);
  space.pageTables.fill(0);
  space.pageTableCount = 0;
  return bytes;
}
