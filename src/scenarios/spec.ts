/**
 * The scenario file format: JSON, validated with zod so every error names the path of the bad field.
 * Common fields configure the machine; `params` belong to the scenario named in `scenario` and are
 * validated by its own schema. `--set path=value` overrides any field before validation.
 */
import { z } from 'zod';
import { UserError } from '../../tracer/errors.js';
import { COST_KEYS } from '../l4/costs.js';
import { FUNCTION_TRACING } from '../ia32/shadow-stack.js';

/** Bytes, or <n>K / <n>M / <n>G (Kickstart's kmem=<num>[KMG]); 64 KiB .. 1 GiB. */
const KmemSize = z
  .union([z.number().int(), z.string().regex(/^[0-9]+[KMG]?$/i, 'expected bytes or <n>K, <n>M, <n>G')])
  .transform((v) => (typeof v === 'number' ? v : Number.parseInt(v, 10) * ({ k: 1024, m: 1 << 20, g: 1 << 30 }[v.slice(-1).toLowerCase()] ?? 1)))
  .pipe(z.number().int().min(65536).max(2 ** 30));

const costShape = Object.fromEntries(COST_KEYS.map((k) => [k, z.number().int().nonnegative().optional()])) as Record<string, z.ZodOptional<z.ZodNumber>>;

export const CommonSchema = z
  .object({
    scenario: z.string().min(1),
    description: z.string().optional(),
    flavour: z.enum(['v2', 'x2']).default('v2'),
    cpus: z.number().int().min(1).max(16).default(1),
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
    /** Cycle limit of the run (outcome `limit` when reached). */
    limit: z.number().int().positive().max(2 ** 44).default(2_000_000_000), // tracer/limits.ts LIMITS.cycles: about 24 simulated hours
    /** Cycles by which the scenario's goal must be met (outcome `hang` when it is not). 0 = no deadline. */
    deadline: z.number().int().nonnegative().max(2 ** 44).default(0),
    /** Up to this many cycles of jitter on every timeout (TIMER_JITTER choices). */
    timerJitter: z.number().int().nonnegative().default(0),
    /** Chaos mode: on average one perturbation (a delay) per this many chaos points (IPC, fork, exec, signal); 0 = off. */
    chaos: z.number().int().nonnegative().max(1_000_000).default(0),
    physFrames: z.number().int().min(512).max(262144).default(8192),
    /**
     * The L4 kernel's own memory (TCBs, page tables, mapping nodes; src/l4/kmem.ts) as a fixed pool of
     * this many bytes, as Pistachio's Kickstart gives it (ADDITIONAL_KMEM_SIZE, 16M); a number of bytes
     * or Kickstart's kmem= form, `512K`, `16M`. Absent: the pool grows as needed, and the field is left
     * out of the resolved scenario (traces recorded before it existed keep their JSON).
     */
    kmem: KmemSize.optional(),
    /** Cost profile overrides, in cycles (see src/l4/costs.ts). */
    costs: z.object(costShape).strict().default({}),
    trace: z
      .object({
        policy: z.enum(['flush', 'discard', 'overwrite']).default('flush'),
        capacityChunks: z.number().int().positive().default(64),
        chunkEvents: z.number().int().min(1).max(1 << 20).default(4096),
        chunkBytes: z.number().int().min(64).max(1 << 24).default(32 * 1024),
        /**
         * Where function events come from (src/ia32/shadow-stack.ts): auto, instrumented, calls or off.
         * Absent means `instrumented`, what traces made before the field did; `record` and `run` write
         * `auto` unless told otherwise (--trace-functions).
         */
        functions: z.enum(FUNCTION_TRACING).optional(),
      })
      .strict()
      .default({ policy: 'flush', capacityChunks: 64, chunkEvents: 4096, chunkBytes: 32 * 1024 }),
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export type CommonSpec = z.infer<typeof CommonSchema>;

/** A fully resolved scenario: common fields plus validated params. This is what the trace header stores. */
export interface ScenarioSpec extends CommonSpec {
  params: Record<string, unknown>;
}

export class ScenarioError extends UserError {}

/** "path.to.field: message" for each zod issue. */
export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string; code?: string; keys?: readonly string[] }[], prefix: string[] = []): string {
  return issues
    .flatMap((i) => {
      const at = [...prefix, ...i.path.map(String)];
      // An unknown key is named by its own path, as any other bad field is.
      if (i.code === 'unrecognized_keys' && i.keys?.length) return i.keys.map((key) => `${[...at, key].join('.')}: unknown field`);
      return [`${at.join('.') || '(top level)'}: ${i.message}`];
    })
    .join('; ');
}

const TOP_LEVEL = new Set(Object.keys(CommonSchema.shape));

/** Parse a `--set` value: JSON when it is valid JSON (numbers, true, arrays ...), else a string. */
export function parseSetValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * Apply `path=value` to a raw scenario object. A path whose first part is not a common field is taken
 * to be inside `params` (so `--set signalFix=handshake` sets params.signalFix).
 */
export function applySet(raw: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new ScenarioError(`--set ${JSON.stringify(assignment)}: expected path=value`);
  let path = assignment.slice(0, eq).split('.');
  if (path.some((p) => p === '' || p === '__proto__' || p === 'constructor' || p === 'prototype')) {
    throw new ScenarioError(`--set ${JSON.stringify(assignment)}: bad path`);
  }
  if (!TOP_LEVEL.has(path[0]!)) path = ['params', ...path];
  let obj: Record<string, unknown> = raw;
  for (const key of path.slice(0, -1)) {
    const next = obj[key];
    if (next === undefined) obj[key] = {};
    else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      throw new ScenarioError(`--set ${path.join('.')}: ${key} is not an object`);
    }
    obj = obj[key] as Record<string, unknown>;
  }
  obj[path[path.length - 1]!] = parseSetValue(assignment.slice(eq + 1));
}
