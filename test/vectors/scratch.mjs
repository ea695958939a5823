// Scratch-memory contents of a test vector, derived from its per-case seed `s`.
// The generator and the interpreter tests must both use exactly this function.
export function scratchBytes(seed) {
  let s = seed >>> 0; const out = new Uint8Array(256);
  for (let i = 0; i < 256; i++) { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff; }
  return out;
}
