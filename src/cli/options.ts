import { UsageError } from './errors.js';
import { FUNCTION_TRACING, type FunctionTracing } from '../ia32/shadow-stack.js';

/** A non-negative integer option, or a usage error naming the option. */
export function intOption(name: string, v: string): number {
  if (!/^\d+$/.test(v.replace(/_/g, '')) || !Number.isSafeInteger(Number(v.replace(/_/g, '')))) {
    throw new UsageError(`--${name} ${JSON.stringify(v)}: expected a non-negative integer`);
  }
  return Number(v.replace(/_/g, ''));
}

/** `--trace-functions`: where function events come from (src/ia32/shadow-stack.ts), or a usage error. */
export function traceFunctionsOption(v: string | undefined): FunctionTracing | undefined {
  if (v === undefined) return undefined;
  if (!(FUNCTION_TRACING as readonly string[]).includes(v)) throw new UsageError(`--trace-functions ${JSON.stringify(v)}: expected ${FUNCTION_TRACING.slice(0, -1).join(', ')} or ${FUNCTION_TRACING.at(-1)}`);
  return v as FunctionTracing;
}

/** The help text of `--trace-functions` (record, run). */
export const TRACE_FUNCTIONS_HELP =
  'where FUNC_ENTER/EXIT events come from: auto (the -finstrument-functions hooks when the program has them, else calls; the default), instrumented (the hooks only), calls (the interpreter follows CALL and RET: glibc, musl, stripped busybox), off. This is the guest programs\' functions; the L4Linux server\'s Linux kernel functions are --set kernelFunctions=on|off';
