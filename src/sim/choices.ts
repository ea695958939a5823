/**
 * The one door for nondeterminism. Every decision the machine could take more than one way (tie order
 * among equal-priority threads, IRQ arrival instants, timer jitter, chaos perturbations, input bytes,
 * the random bytes a guest asks for)
 * is asked of a Choices object. Recording draws the value (seeded PRNG or OS entropy) and appends it to
 * the decision tape; replaying reads it back from a tape and refuses a tape that runs out or asks for
 * a different kind of decision than the machine needs.
 */
import { randomInt } from 'node:crypto';
import { PrngStream } from './prng.js';

/** Choice sites (trace.proto `ChoiceSite`). */
export const ChoiceSite = {
  TIE: 1,
  IRQ_INSTANT: 2,
  TIMER_JITTER: 3,
  CHAOS: 4,
  INPUT: 5,
  /** Randomness a guest asks for (getrandom, AT_RANDOM): one 32-bit word per choice. */
  RANDOM: 7,
} as const;
export type ChoiceSiteId = (typeof ChoiceSite)[keyof typeof ChoiceSite];
export const CHOICE_SITE_NAMES: Record<number, string> = { 1: 'tie', 2: 'irq_instant', 3: 'timer_jitter', 4: 'chaos', 5: 'input', 7: 'random' };

export interface TapeEntry {
  site: number;
  value: number;
  range: number;
}

/** The tape ran out or asked for a different decision than the machine needs. */
export class TapeDivergence extends Error {
  constructor(
    readonly position: number,
    readonly wanted: { site: number; range: number },
    readonly found: TapeEntry | undefined,
  ) {
    super(
      found
        ? `decision tape position ${position}: the machine needs a ${CHOICE_SITE_NAMES[wanted.site] ?? wanted.site} choice of ${wanted.range} options, the tape holds a ${CHOICE_SITE_NAMES[found.site] ?? found.site} choice ${found.value} of ${found.range}`
        : `decision tape position ${position}: the tape ran out (the machine needs a ${CHOICE_SITE_NAMES[wanted.site] ?? wanted.site} choice of ${wanted.range} options)`,
    );
    this.name = 'TapeDivergence';
  }
}

export type ChoiceListener = (site: number, value: number, range: number) => void;

export interface Choices {
  /** A value in [0, range). Ranges of 0 or 1 are not decisions: they return 0 and are not taped. */
  choose(site: ChoiceSiteId, range: number): number;
  /** Decisions made so far (= the tape position of the next one). */
  readonly position: number;
}

/** Draws decisions from per-site PRNG streams (or OS entropy) and reports each to `listener`. */
export class RecordingChoices implements Choices {
  private readonly streams = new Map<number, PrngStream>();
  position = 0;

  constructor(
    private readonly seed: number,
    private readonly entropy: 'prng' | 'os',
    private readonly listener: ChoiceListener = () => {},
  ) {}

  choose(site: ChoiceSiteId, range: number): number {
    if (range <= 1) return 0;
    let value: number;
    if (this.entropy === 'os') {
      value = range <= 0xffffffffffff ? randomInt(range) : 0;
    } else {
      let s = this.streams.get(site);
      if (!s) {
        s = new PrngStream(this.seed, `choice:${site}`);
        this.streams.set(site, s);
      }
      value = s.below(Math.min(range, 0x100000000));
    }
    this.position++;
    this.listener(site, value, range);
    return value;
  }
}

/** Reads decisions back from a tape; optionally reports them (replay re-records to compare). */
export class TapeChoices implements Choices {
  position = 0;
  constructor(
    private readonly tape: readonly TapeEntry[],
    private readonly listener: ChoiceListener = () => {},
  ) {}

  choose(site: ChoiceSiteId, range: number): number {
    if (range <= 1) return 0;
    const e = this.tape[this.position];
    if (!e || e.site !== site || e.value >= range) throw new TapeDivergence(this.position, { site, range }, e);
    this.position++;
    this.listener(site, e.value, range);
    return e.value;
  }
}
