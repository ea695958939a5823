import { UsageError } from './errors.js';

/** A non-negative integer option, or a usage error naming the option. */
export function intOption(name: string, v: string): number {
  if (!/^\d+$/.test(v.replace(/_/g, '')) || !Number.isSafeInteger(Number(v.replace(/_/g, '')))) {
    throw new UsageError(`--${name} ${JSON.stringify(v)}: expected a non-negative integer`);
  }
  return Number(v.replace(/_/g, ''));
}
