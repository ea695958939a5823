/**
 * Checkpoints of a replay debugging session: whole machines parked between rounds (Pass), kept within a
 * memory budget. The machine's model code (the Linux server, the emulation library, sigma0) lives in
 * JavaScript generators, which cannot be copied, so a checkpoint cannot be a snapshot taken in passing
 * as rr's fork() is: each one is a machine of its own that replayed up to its position. They come from
 * two places: the machine the session leaves when it goes back (parked where it was, at the end of its
 * round: free), and background work towards an even layout over the run once its length is known (each
 * built by replaying from the start: the work a snapshot would have saved). Using one consumes it; the
 * layout is refilled in the background.
 */
import type { Pass } from './pass.js';

/** Layout slots (checkpoints spread evenly over the run) at most; seeks then cost at most 1/SLOTS of a replay. */
const MAX_SLOTS = 16;

export class CheckpointPool {
  private readonly parked: Pass[] = [];
  private building: { pass: Pass; target: number } | null = null;
  /** Evenly spaced positions (instruction ordinals) to keep a checkpoint near, once the run's length is known. */
  private layout: number[] = [];
  private spacing = Infinity;
  /** Machines built for the layout, and the instructions they replayed. */
  built = 0;
  replayedInstructions = 0;

  constructor(
    private readonly make: () => Pass,
    /** The budget for parked machines, in bytes. */
    readonly budget: number,
  ) {}

  get size(): number {
    return this.parked.length;
  }

  /** Positions of the parked machines, ascending. */
  get positions(): number[] {
    return this.parked.map((p) => p.count);
  }

  /** Bytes the parked machines (and the one being built) hold, estimated. */
  get bytes(): number {
    return this.parked.reduce((n, p) => n + p.bytes, 0) + (this.building?.pass.bytes ?? 0);
  }

  /** Keep `p` (not ended) for later; the least useful machine goes when the budget is exceeded. */
  park(p: Pass): void {
    p.steer(null);
    let i = this.parked.findIndex((q) => q.count > p.count);
    if (i < 0) i = this.parked.length;
    this.parked.splice(i, 0, p);
    while (this.parked.length > 1 && this.bytes > this.budget) this.evict();
  }

  /** The parked machine furthest along that `fits` accepts, taken out of the pool. */
  take(fits: (p: Pass) => boolean): Pass | null {
    for (let i = this.parked.length - 1; i >= 0; i--) {
      const p = this.parked[i]!;
      if (fits(p)) {
        this.parked.splice(i, 1);
        return p;
      }
    }
    return null;
  }

  /** The run has `total` instructions: spread checkpoints evenly over it, as many as the budget holds. */
  planLayout(total: number, passBytes: number): void {
    if (this.layout.length > 0 || total <= 0) return;
    // Room for the layout and two more (the session's machine and one it parks when going back).
    const slots = Math.min(MAX_SLOTS, Math.floor(this.budget / Math.max(1, passBytes)) - 2);
    if (slots < 2) return;
    this.spacing = Math.ceil(total / slots);
    this.layout = Array.from({ length: slots - 1 }, (_, i) => (i + 1) * this.spacing);
  }

  /** One round of background work towards the layout; false when the layout is complete (or unknown). */
  work(): boolean {
    if (!this.building) {
      const target = this.layout.find((pos) => !this.parked.some((p) => p.count >= pos && p.count < pos + this.spacing / 2));
      if (target === undefined) return false;
      this.building = { pass: this.make().start(), target };
      this.built++;
    }
    const b = this.building;
    const before = b.pass.count;
    const ended = b.pass.advance(1) !== null;
    this.replayedInstructions += b.pass.count - before;
    if (ended) {
      // The run ended before the position (it cannot: positions lie inside the run); drop it.
      this.building = null;
      this.layout = this.layout.filter((p) => p < b.target);
    } else if (b.pass.count >= b.target) {
      this.building = null;
      this.park(b.pass);
    }
    return true;
  }

  /** Drop the parked machine whose loss leaves the smallest gap between its neighbours. */
  private evict(): void {
    let worst = 0;
    let gap = Infinity;
    for (let i = 0; i < this.parked.length; i++) {
      const below = i > 0 ? this.parked[i - 1]!.count : 0;
      const above = i + 1 < this.parked.length ? this.parked[i + 1]!.count : Infinity;
      if (above - below < gap) {
        gap = above - below;
        worst = i;
      }
    }
    this.parked.splice(worst, 1);
  }
}
