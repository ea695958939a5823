/**
 * Host time spent inside the IA32 engine (the interpreter and its tracing), apart from the rest of the
 * machine: `timeEngine()` wraps Ia32Engine.run until the returned function restores it.
 */
import { Ia32Engine } from '../../src/l4/ia32-engine.js';

export const engineTime = { ms: 0 };

export function timeEngine(): () => void {
  const original = Ia32Engine.prototype.run;
  Ia32Engine.prototype.run = function (budget: number) {
    const t0 = performance.now();
    try {
      return original.call(this, budget);
    } finally {
      engineTime.ms += performance.now() - t0;
    }
  };
  return () => void (Ia32Engine.prototype.run = original);
}
