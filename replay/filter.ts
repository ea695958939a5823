/**
 * Filter rules for reduced traces (`l4trace filter`). The rules travel in the trace header
 * (`filter_rules`, canonical JSON), so replay can apply them to what it regenerates and compare with
 * what the file holds. Events keep their original sequence numbers.
 */
import { z } from 'zod';
import { Kind, KIND_BY_NAME } from '../tracer/catalogue.js';

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
  })
  .strict();
export type FilterRules = z.infer<typeof FilterRulesSchema>;

export class FilterError extends Error {}

export function parseFilterRules(json: string): FilterRules {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new FilterError(`filter rules are not JSON: ${json.slice(0, 80)}`);
  }
  const r = FilterRulesSchema.safeParse(raw);
  if (!r.success) throw new FilterError(`filter rules: ${r.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
}

/** Decides event by event whether a filtered trace keeps it. */
export class EventSelector {
  private readonly keepKinds: Set<number> | null;
  private readonly dropKinds: Set<number>;
  private readonly threads: Set<number> | null;
  private readonly excluded: RegExp[];
  private readonly excludedIds = new Map<number, boolean>();

  constructor(
    rules: FilterRules,
    /** Resolves a string id (function names). */
    private readonly string: (id: number) => string,
  ) {
    this.keepKinds = rules.keepKinds ? new Set(rules.keepKinds.map((n) => KIND_BY_NAME.get(n)!.id)) : null;
    this.dropKinds = new Set((rules.dropKinds ?? []).map((n) => KIND_BY_NAME.get(n)!.id));
    this.threads = rules.threads ? new Set(rules.threads) : null;
    this.excluded = (rules.excludeFunctions ?? []).map(globToRegExp);
  }

  /** `fn` is the function of FUNC_ENTER / FUNC_EXIT events (decoded exits carry it too). */
  keeps(thread: number, kind: number, fn: number): boolean {
    if (this.threads && !this.threads.has(thread)) return false;
    if (this.keepKinds && !this.keepKinds.has(kind)) return false;
    if (this.dropKinds.has(kind)) return false;
    if (this.excluded.length > 0 && (kind === Kind.FUNC_ENTER || kind === Kind.FUNC_EXIT)) {
      let ex = this.excludedIds.get(fn);
      if (ex === undefined) {
        const name = this.string(fn);
        ex = this.excluded.some((r) => r.test(name));
        this.excludedIds.set(fn, ex);
      }
      if (ex) return false;
    }
    return true;
  }
}
