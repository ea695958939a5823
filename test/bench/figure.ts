/** One measured figure. `vs` names what it is compared with and `ratio` is value / that. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  vs?: string;
  ratio?: number;
}

export interface BenchGroup {
  name: string;
  description: string;
  run(): Promise<Figure[]> | Figure[];
}

/** Best of `repeats` timings of fn, in milliseconds (the machines are noisy; the minimum is the signal). */
export function bestOf(repeats: number, fn: () => void): number {
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

export function perSecond(count: number, ms: number): number {
  return (count / ms) * 1000;
}
