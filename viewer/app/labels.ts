/**
 * Text labels that must not print over each other (signals close together, a failed message's label
 * next to a thread's final state): each label asks for a box; a box that overlaps one already taken
 * is refused, and the caller tries another place or leaves the text out (the mark stays, and its
 * details are a click away).
 */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export class LabelPlacer {
  private readonly taken: Box[] = [];

  constructor(initial: Box[] = []) {
    this.taken.push(...initial);
  }

  free(b: Box): boolean {
    for (const t of this.taken) if (b.x < t.x + t.w && t.x < b.x + b.w && b.y < t.y + t.h && t.y < b.y + b.h) return false;
    return true;
  }

  /** Take the first of the candidate boxes that is free; null when none is. */
  place(...candidates: Box[]): Box | null {
    for (const b of candidates) {
      if (this.free(b)) {
        this.taken.push(b);
        return b;
      }
    }
    return null;
  }

  get boxes(): readonly Box[] {
    return this.taken;
  }
}
