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
const MAX_SLOTS = 24;

export class CheckpointPool {
  private readonly parked: Pass[] = [];
  private building: { pass: Pass; slot: Slot } | null = null;
  /**
   * Evenly spaced instants (cycles) of the run to keep a checkpoint at, each with the machine built for it
   * while that machine is parked. A machine parks at the end of a round, so it may stand past its instant
   * (a round is 1 M cycles on one CPU).
   */
  private layout: Slot[] = [];
  /** The cycle the run ends at. */
  private end = Infinity;
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

  /** How far the parked machine furthest along that `fits` accepts stands (-1: none). */
  furthest(fits: (p: Pass) => boolean): number {
    for (let i = this.parked.length - 1; i >= 0; i--) if (fits(this.parked[i]!)) return this.parked[i]!.count;
    return -1;
  }

  /** The parked machine furthest along that `fits` accepts, taken out of the pool. */
  take(fits: (p: Pass) => boolean): Pass | null {
    for (let i = this.parked.length - 1; i >= 0; i--) {
      const p = this.parked[i]!;
      if (fits(p)) {
        this.remove(i);
        return p;
      }
    }
    return null;
  }

  /** Take the i-th parked machine out; its layout slot (if any) is to be built again. */
  private remove(i: number): void {
    const [p] = this.parked.splice(i, 1);
    for (const slot of this.layout) if (slot.pass === p) slot.pass = null;
  }

  /**
   * The run ends at cycle `end` (the trace's footer says so before anything ran): spread checkpoints
   * evenly over its time, as many as the budget holds.
   */
  planLayout(end: number, passBytes: number): void {
    if (this.layout.length > 0 || this.end !== Infinity || end <= 0) return;
    // Room for the layout and two more (the session's machine and one it parks when going back).
    const slots = Math.min(MAX_SLOTS, Math.floor(this.budget / Math.max(1, passBytes)) - 2);
    if (slots < 2) return;
    this.end = end;
    const spacing = Math.ceil(end / slots);
    this.layout = Array.from({ length: slots - 1 }, (_, i) => ({ target: (i + 1) * spacing, pass: null }));
  }

  /** One round of background work towards the layout; false when the layout is complete (or unknown). */
  work(): boolean {
    if (!this.building) {
      const slot = this.layout.find((sl) => sl.pass === null);
      if (slot === undefined) return false;
      this.building = { pass: this.make().start(), slot };
      this.built++;
    }
    const b = this.building;
    const before = b.pass.count;
    const ended = b.pass.advance(1) !== null;
    this.replayedInstructions += b.pass.count - before;
    if (ended) {
      // The run ended before the position: no checkpoint there.
      this.building = null;
      this.layout = this.layout.filter((sl) => sl !== b.slot);
    } else if (b.pass.time >= b.slot.target) {
      this.building = null;
      // Rounds can be longer than the spacing: a machine already parked there serves this slot too.
      const same = this.parked.find((p) => p.count === b.pass.count);
      b.slot.pass = same ?? b.pass;
      if (!same) this.park(b.pass);
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
    const gone = this.parked[worst]!;
    // Its slots are not built again while the budget is this tight.
    this.layout = this.layout.filter((sl) => sl.pass !== gone);
    this.parked.splice(worst, 1);
  }
}

interface Slot {
  target: number;
  pass: Pass | null;
}
