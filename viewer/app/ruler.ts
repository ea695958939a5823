/**
 * The ruler's ticks: a round step in cycles (1, 2 or 5 x 10^k, about 110 px apart), each labelled in
 * cycles and in time with as many decimals as the step needs, so neighbouring labels always differ
 * (107.02k, 107.04k, ... when zoomed in at 107k cycles) and are exact to the step.
 */
export interface Tick {
  t: number;
  cycles: string;
  time: string;
}

export const TICK_PX = 110;

/** A label of v in `unit`s with enough decimals to tell apart values `step` apart. */
export function fixedFor(v: number, step: number, unit: number, suffix: string): string {
  const decimals = Math.min(12, Math.max(0, Math.ceil(-Math.log10(step / unit) - 1e-9)));
  return `${(v / unit).toFixed(decimals)}${suffix}`;
}

/** Cycles: plain below 10k, else in k, M or G by the view's magnitude. */
export function cycleLabel(t: number, step: number, magnitude: number): string {
  const m = Math.abs(magnitude);
  if (m >= 1e9) return fixedFor(t, step, 1e9, 'G');
  if (m >= 1e6) return fixedFor(t, step, 1e6, 'M');
  if (m >= 1e4) return fixedFor(t, step, 1e3, 'k');
  return fixedFor(t, step, 1, '');
}

/** Time in µs, ms or s by the view's magnitude. */
export function timeLabel(us: number, stepUs: number, magnitudeUs: number): string {
  const m = Math.abs(magnitudeUs);
  if (m >= 1e6) return fixedFor(us, stepUs, 1e6, ' s');
  if (m >= 1e3) return fixedFor(us, stepUs, 1e3, ' ms');
  return fixedFor(us, stepUs, 1, ' µs');
}

export function tickStep(span: number, widthPx: number): number {
  const target = Math.max(1, (span / Math.max(1, widthPx)) * TICK_PX);
  const p = 10 ** Math.floor(Math.log10(target));
  return [1, 2, 5, 10].map((m) => m * p).find((x) => x >= target) ?? 10 * p;
}

export function ticks(t0: number, t1: number, widthPx: number, cyclesPerUs: number): Tick[] {
  const step = tickStep(t1 - t0, widthPx);
  const magnitude = Math.max(Math.abs(t0), Math.abs(t1));
  const out: Tick[] = [];
  for (let k = Math.ceil(t0 / step); k * step <= t1; k++) {
    const t = k * step;
    out.push({ t, cycles: cycleLabel(t, step, magnitude), time: timeLabel(t / cyclesPerUs, step / cyclesPerUs, magnitude / cyclesPerUs) });
  }
  return out;
}
