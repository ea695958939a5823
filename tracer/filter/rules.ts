/**
 * Filter rules for reduced traces (`l4trace filter`, `l4trace score -g`, Score-P filter files). The rules travel in the trace header
 * (`filter_rules`, canonical JSON), so replay can apply them to what it regenerates and compare with
 * what the file holds. Events keep their original sequence numbers.
 */
import picomatch from 'picomatch';
import { z } from 'zod';
import { Kind, KIND_BY_NAME } from '../catalogue.js';
import { UserError } from '../errors.js';

const kindName = z.string().refine((n) => KIND_BY_NAME.has(n), { message: "unknown event kind" });

export const FilterRulesSchema = z
  .object({
    /** Only these kinds are kept (all when absent). */
    keepKinds: z.array(kindName).optional(),
    /** These kinds are dropped. */
    dropKinds: z.array(kindName).optional(),
    /** Only these threads (indexes) are kept (all when absent). */
    threads: z.array(z.number().int().nonnegative()).optional(),
    /** FUNC_ENTER / FUNC_EXIT of functions whose name matches one of these globs (`*` = any) are dropped. */
    excludeFunctions: z.array(z.string().min(1)).optional(),
    /**
     * Score-P-style rules for function events only (filter files): ordered INCLUDE / EXCLUDE rules per
     * dimension, the last matching rule deciding; a call dropped at its enter is dropped at its exit.
     */
    functions: z
      .object({
        regions: z.array(z.object({ action: z.enum(['include', 'exclude']), patterns: z.array(z.string().min(1)) }).strict()).default([]),
        threads: z.array(z.object({ action: z.enum(['include', 'exclude']), patterns: z.array(z.string().min(1)) }).strict()).default([]),
        tasks: z.array(z.object({ action: z.enum(['include', 'exclude']), tasks: z.array(z.number().int().nonnegative()) }).strict()).default([]),
        /** Calls entered outside [from, to] cycles are dropped. */
        timeWindow: z.tuple([z.number().nonnegative(), z.number().nonnegative()]).optional(),
        /** Calls deeper than this (0 = outermost) are dropped. */
        maxDepth: z.number().int().nonnegative().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type FilterRules = z.infer<typeof FilterRulesSchema>;

export class FilterError extends UserError {}

/** Filter rules from their JSON text; `source` names where they came from in messages. */
export function parseFilterRules(json: string, source = 'filter rules'): FilterRules {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new FilterError(`${source} are not JSON: ${json.slice(0, 80)}`);
  }
  const r = FilterRulesSchema.safeParse(raw);
  if (!r.success) throw new FilterError(`${source}: ${r.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** Stands in for `/` on both sides, so `*` and `?` match it too (names are not paths). */
const SLASH = '\uE000';
const GLOB_OPTIONS: picomatch.PicomatchOptions = { dot: true, nobrace: true, noextglob: true, nonegate: true, posix: true };

/**
 * A filter glob as fnmatch(3) without FNM_PATHNAME reads it, as Score-P's filter files do: `*` any
 * characters, `?` one character, `[abc]` / `[a-z]` / `[!a-z]` one of (or none of) a set, `\` quotes the
 * next character; everything else, `.`, `(`, `{`, `!`, `/` included, stands for itself. Matching is
 * picomatch's (a maintained glob library), with its path and extglob features turned off.
 */
export function globToRegExp(glob: string): { test(name: string): boolean } {
  const re = picomatch.makeRe(glob.replace(/[()]/g, '\\$&').replaceAll('/', SLASH), GLOB_OPTIONS);
  return { test: (name) => re.test(name.replaceAll('/', SLASH)) };
}

/** What the selector needs to know about a thread: its name and task (function rules match them). */
export interface ThreadFacts {
  name: string;
  task: number;
}

/**
 * Decides event by event whether a filtered trace keeps it. Function events are decided at the enter
 * and the decision is kept on a per-thread stack, so a dropped call is dropped whole and the kept ones
 * stay properly nested.
 */
export class EventSelector {
  private readonly keepKinds: Set<number> | null;
  private readonly dropKinds: Set<number>;
  private readonly threads: Set<number> | null;
  private readonly excluded: { test(name: string): boolean }[];
  private readonly excludedIds = new Map<number, boolean>();
  private readonly fnRules: NonNullable<FilterRules['functions']> | null;
  private readonly regionRules: { include: boolean; res: { test(name: string): boolean }[] }[];
  private readonly regionCache = new Map<number, boolean>();
  private readonly threadKeep = new Map<number, boolean>();
  private readonly stacks: boolean[][] = [];

  constructor(
    rules: FilterRules,
    /** Resolves a string id (function names). */
    private readonly string: (id: number) => string,
    /** Name and task of a thread (only needed for function rules on threads and tasks). */
    private readonly thread: (index: number) => ThreadFacts = () => ({ name: '', task: 0 }),
  ) {
    this.keepKinds = rules.keepKinds ? new Set(rules.keepKinds.map((n) => KIND_BY_NAME.get(n)!.id)) : null;
    this.dropKinds = new Set((rules.dropKinds ?? []).map((n) => KIND_BY_NAME.get(n)!.id));
    this.threads = rules.threads ? new Set(rules.threads) : null;
    this.excluded = (rules.excludeFunctions ?? []).map(globToRegExp);
    this.fnRules = rules.functions ?? null;
    this.regionRules = (rules.functions?.regions ?? []).map((r) => ({ include: r.action === 'include', res: r.patterns.map(globToRegExp) }));
  }

  /** `fn` is the function of FUNC_ENTER / FUNC_EXIT events (decoded exits carry it too); `time` their time. */
  keeps(thread: number, kind: number, fn: number, time = 0): boolean {
    if (this.threads && !this.threads.has(thread)) return false;
    if (this.keepKinds && !this.keepKinds.has(kind)) return false;
    if (this.dropKinds.has(kind)) return false;
    if (kind !== Kind.FUNC_ENTER && kind !== Kind.FUNC_EXIT) return true;
    if (this.excluded.length > 0) {
      let ex = this.excludedIds.get(fn);
      if (ex === undefined) {
        const name = this.string(fn);
        ex = this.excluded.some((r) => r.test(name));
        this.excludedIds.set(fn, ex);
      }
      if (ex) return false;
    }
    if (!this.fnRules) return true;
    const stack = (this.stacks[thread] ??= []);
    if (kind === Kind.FUNC_EXIT) return stack.pop() ?? true;
    const keep = this.decideCall(thread, fn, time, stack.length);
    stack.push(keep);
    return keep;
  }

  private decideCall(thread: number, fn: number, time: number, depth: number): boolean {
    const r = this.fnRules!;
    if (r.maxDepth !== undefined && depth > r.maxDepth) return false;
    if (r.timeWindow && (time < r.timeWindow[0] || time > r.timeWindow[1])) return false;
    let t = this.threadKeep.get(thread);
    if (t === undefined) {
      const facts = this.thread(thread);
      t = true;
      for (const rule of r.threads) if (rule.patterns.some((p) => p === String(thread) || globToRegExp(p).test(facts.name))) t = rule.action === 'include';
      for (const rule of r.tasks) if (rule.tasks.includes(facts.task)) t = rule.action === 'include';
      this.threadKeep.set(thread, t);
    }
    if (!t) return false;
    let keep = this.regionCache.get(fn);
    if (keep === undefined) {
      const name = this.string(fn);
      keep = true;
      for (const rule of this.regionRules) if (rule.res.some((re) => re.test(name))) keep = rule.include;
      this.regionCache.set(fn, keep);
    }
    return keep;
  }
}
