/**
 * The call-path profile of `score --tree` (what Score-P's CUBE shows as its call tree): every distinct
 * path of function calls from a thread's outermost call, merged over all threads, with visits and
 * inclusive and exclusive cycles. Built in the same pass as the per-function score; the number of
 * distinct paths is bounded (a deep recursion makes one path per depth), and calls beyond the bound are
 * counted to their deepest kept ancestor (as its own time, not as visits of it) and reported.
 */

/** Distinct call paths kept; deeper or rarer ones beyond this fold into their parents. */
export const MAX_CALL_PATHS = 100_000;

export interface CallPathRow {
  depth: number;
  name: string;
  visits: number;
  incl: number;
  excl: number;
  /** Share of all threads' outermost inclusive cycles, percent. */
  percent: number;
}

export class CallPathTree {
  /** Node 0 is the virtual root; per node: function id, parent, visits, cycles. */
  private readonly fn: number[] = [-1];
  private readonly parent: number[] = [-1];
  private readonly visits: number[] = [0];
  private readonly incl: number[] = [0];
  private readonly excl: number[] = [0];
  private readonly children: Map<number, number>[] = [new Map()];
  /** Calls not given a path of their own (the bound was reached). */
  folded = 0;

  /**
   * The node for a call of `fn` under node `at` (made on first use; `at` itself past the bound: the
   * call is then folded into `at`, and its caller must not `exit` it, or `at` would count it twice).
   */
  enter(at: number, fn: number): number {
    const kids = this.children[at]!;
    const known = kids.get(fn);
    if (known !== undefined) return known;
    if (this.fn.length >= MAX_CALL_PATHS) {
      this.folded++;
      return at;
    }
    const id = this.fn.length;
    this.fn.push(fn);
    this.parent.push(at);
    this.visits.push(0);
    this.incl.push(0);
    this.excl.push(0);
    this.children.push(new Map());
    kids.set(fn, id);
    return id;
  }

  /** A call that `enter` gave node `node` finished after `dur` cycles, `inner` of them in its callees. */
  exit(node: number, dur: number, inner: number): void {
    if (node === 0) return;
    this.visits[node]!++;
    this.incl[node]! += dur;
    this.excl[node]! += dur - inner;
  }

  /**
   * The tree in depth-first order, children by inclusive cycles (largest first), at most `limit` rows,
   * leaving out paths below `minPercent` of the total.
   */
  rows(name: (fn: number) => string, limit: number, minPercent: number): CallPathRow[] {
    let total = 0;
    for (const k of this.children[0]!.values()) total += this.incl[k]!;
    const out: CallPathRow[] = [];
    const sorted = (n: number): number[] => [...this.children[n]!.values()].sort((a, b) => this.incl[b]! - this.incl[a]! || a - b);
    const stack: { node: number; depth: number }[] = sorted(0).reverse().map((node) => ({ node, depth: 0 }));
    while (stack.length > 0 && out.length < limit) {
      const { node, depth } = stack.pop()!;
      const percent = total > 0 ? (100 * this.incl[node]!) / total : 0;
      if (percent < minPercent) continue;
      out.push({ depth, name: name(this.fn[node]!), visits: this.visits[node]!, incl: this.incl[node]!, excl: this.excl[node]!, percent });
      for (const k of sorted(node).reverse()) stack.push({ node: k, depth: depth + 1 });
    }
    return out;
  }

  get size(): number {
    return this.fn.length - 1;
  }
}
