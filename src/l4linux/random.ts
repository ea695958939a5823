/**
 * Randomness a guest sees (getrandom, the auxv's AT_RANDOM bytes, /dev/urandom and /dev/random): drawn through the
 * decision tape, one RANDOM choice per 32-bit word, so a recording draws it from the seeded PRNG (or
 * OS entropy) and a replay reads the same bytes back.
 */
import { ChoiceSite } from '../sim/choices.js';
import type { Linux } from './linux.js';

/** One tape choice: a 32-bit word (fewer choices than a byte each, so the tape stays small). */
const WORD = 0x100000000;

/** `n` random bytes from ceil(n / 4) tape words (little-endian). */
export function randomBytes(lx: Linux, n: number): Uint8Array {
  const words = Math.ceil(n / 4);
  const out = new Uint8Array(words * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < words; i++) dv.setUint32(i * 4, lx.ctx.machine.choices.choose(ChoiceSite.RANDOM, WORD), true);
  return out.subarray(0, n);
}

/** AT_RANDOM: the 16 bytes the C library seeds its stack protector and pointer guard from. */
export const AT_RANDOM_BYTES = 16;

export function atRandom(lx: Linux): Uint8Array {
  return randomBytes(lx, AT_RANDOM_BYTES);
}
