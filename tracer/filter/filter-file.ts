/**
 * Filter files, in Score-P's syntax plus l4trace's dimensions. They remove function events only
 * (never IPC, interrupts or context switches):
 *
 *   # comment
 *   SCOREP_REGION_NAMES_BEGIN        (or REGION_NAMES_BEGIN)
 *     EXCLUDE fib ack*               ordered rules, bash-style wildcards; the last match decides
 *     INCLUDE main
 *   SCOREP_REGION_NAMES_END
 *   THREADS_BEGIN                    rules on thread indexes or names
 *     EXCLUDE linux-timer 7
 *   THREADS_END
 *   TASKS_BEGIN                      rules on L4 task numbers
 *     EXCLUDE 16
 *   TASKS_END
 *   TIME_WINDOW 0 2000000            keep calls entered in this cycle range
 *   MAX_DEPTH 8                      keep calls at this depth or less (0 = outermost)
 */
import { UserError } from '../errors.js';
import type { FilterRules } from './rules.js';

export class FilterFileError extends UserError {}

type Rule = { action: 'include' | 'exclude'; patterns: string[] };

export function parseFilterFile(text: string, file: string): FilterRules {
  const regions: Rule[] = [];
  const threads: Rule[] = [];
  const tasks: { action: 'include' | 'exclude'; tasks: number[] }[] = [];
  let timeWindow: [number, number] | undefined;
  let maxDepth: number | undefined;
  let block: 'regions' | 'threads' | 'tasks' | null = null;
  const lines = text.split(/\r?\n/);
  const fail = (n: number, msg: string): never => {
    throw new FilterFileError(`${file}:${n + 1}: ${msg}`);
  };
  lines.forEach((raw, n) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const words = line.split(/\s+/);
    const head = words[0]!.toUpperCase();
    const begin: Record<string, 'regions' | 'threads' | 'tasks'> = { SCOREP_REGION_NAMES_BEGIN: 'regions', REGION_NAMES_BEGIN: 'regions', THREADS_BEGIN: 'threads', TASKS_BEGIN: 'tasks' };
    const end: Record<string, 'regions' | 'threads' | 'tasks'> = { SCOREP_REGION_NAMES_END: 'regions', REGION_NAMES_END: 'regions', THREADS_END: 'threads', TASKS_END: 'tasks' };
    if (begin[head]) {
      if (block) fail(n, `${head} inside another block`);
      block = begin[head]!;
      return;
    }
    if (end[head]) {
      if (block !== end[head]) fail(n, `${head} without its BEGIN`);
      block = null;
      return;
    }
    if (head === 'INCLUDE' || head === 'EXCLUDE') {
      if (!block) fail(n, `${head} outside a block`);
      const action = head === 'INCLUDE' ? 'include' : 'exclude';
      const args = words.slice(1).filter((w) => w.toUpperCase() !== 'MANGLED');
      if (args.length === 0) fail(n, `${head} needs at least one pattern`);
      if (block === 'regions') regions.push({ action, patterns: args });
      else if (block === 'threads') threads.push({ action, patterns: args });
      else {
        const nums = args.map((a) => (/^\d+$/.test(a) ? Number(a) : fail(n, `task ${JSON.stringify(a)} is not a number`)));
        tasks.push({ action, tasks: nums });
      }
      return;
    }
    if (head === 'TIME_WINDOW') {
      const [a, b] = words.slice(1).map(Number);
      if (words.length !== 3 || !Number.isFinite(a) || !Number.isFinite(b) || a! < 0 || b! < a!) fail(n, 'TIME_WINDOW needs two cycle counts, from <= to');
      timeWindow = [a!, b!];
      return;
    }
    if (head === 'MAX_DEPTH') {
      if (words.length !== 2 || !/^\d+$/.test(words[1]!)) fail(n, 'MAX_DEPTH needs a non-negative integer');
      maxDepth = Number(words[1]);
      return;
    }
    fail(n, `unknown directive ${JSON.stringify(words[0])}`);
  });
  if (block) throw new FilterFileError(`${file}: block ${block} is not closed`);
  return { functions: { regions, threads, tasks, ...(timeWindow ? { timeWindow } : {}), ...(maxDepth !== undefined ? { maxDepth } : {}) } };
}

/** A filter file excluding these functions (what `score -g` writes). */
export function writeFilterFile(exclude: string[], comment: string[]): string {
  return [
    ...comment.map((c) => `# ${c}`),
    'SCOREP_REGION_NAMES_BEGIN',
    ...(exclude.length ? [`  EXCLUDE ${exclude.join(' ')}`] : ['  # nothing to exclude']),
    'SCOREP_REGION_NAMES_END',
    '',
  ].join('\n');
}
