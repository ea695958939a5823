/**
 * Shrinking a failing trace: delta debugging (ddmin) over its decision tape. A candidate keeps the
 * recorded value of some choices and neutralises the rest (the first option, 0 — what the machine does
 * when nothing is left to chance); a candidate is good when the run still ends with the same failure.
 * The result is a minimal set of choices that matter, and a new trace recorded with it.
 */
import { MemorySink } from '../tracer/sink.js';
import type { TraceReader } from '../tracer/reader.js';
import { NullRecorder } from '../tracer/recorder.js';
import { OUTCOME_NAMES } from '../tracer/packets.js';
import { UserError } from '../tracer/errors.js';
import { finishTrace } from '../src/session/record-session.js';
import { runMachine } from '../src/session/machine.js';
import { headerFor } from '../src/session/header.js';
import { recordedTape } from '../src/session/replay-session.js';
import { setupFromTrace } from '../src/session/setup.js';
import { tracerFor } from '../src/session/tracer-config.js';
import { CHOICE_SITE_NAMES, type ChoiceListener, type Choices, type ChoiceSiteId, type TapeEntry } from '../src/sim/choices.js';

/**
 * Choices from a recorded tape, where only the positions in `keep` take their recorded value and every
 * other decision takes option 0. A position whose recorded choice is of another kind (the run went
 * elsewhere) or out of range also takes 0.
 */
export class EditedTapeChoices implements Choices {
  position = 0;
  constructor(
    private readonly tape: readonly TapeEntry[],
    private readonly keep: ReadonlySet<number>,
    private readonly listener: ChoiceListener = () => {},
  ) {}

  choose(site: ChoiceSiteId, range: number): number {
    if (range <= 1) return 0;
    const p = this.position++;
    const e = this.tape[p];
    const value = e && this.keep.has(p) && e.site === site && e.value < range ? e.value : 0;
    this.listener(site, value, range);
    return value;
  }
}

export interface ShrinkResult {
  outcome: string;
  /** Choices on the original tape, and those with a value other than 0 (the only ones that can matter). */
  original: number;
  candidates: number;
  /** The choices that matter: their tape positions and what they chose. */
  kept: { index: number; site: string; value: number; range: number; seq: number }[];
  runs: number;
  /** The smaller reproducer: a trace recorded with the minimal tape. */
  bytes: Uint8Array;
}

export class NotFailing extends UserError {}

/** ddmin (Zeller and Hildebrandt): a 1-minimal subset of `items` for which `fails` holds. */
export function ddmin(items: number[], fails: (subset: number[]) => boolean): number[] {
  let current = items;
  let n = 2;
  while (current.length >= 2) {
    const size = Math.ceil(current.length / n);
    const chunks: number[][] = [];
    for (let i = 0; i < current.length; i += size) chunks.push(current.slice(i, i + size));
    let reduced = false;
    for (const c of chunks) {
      if (fails(c)) {
        current = c;
        n = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      for (const c of chunks) {
        const complement = current.filter((x) => !c.includes(x));
        if (fails(complement)) {
          current = complement;
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (!reduced) {
      if (n >= current.length) break;
      n = Math.min(current.length, 2 * n);
    }
  }
  return current;
}

export function shrinkTrace(reader: TraceReader, file: string, onRun: (runs: number) => void = () => {}): ShrinkResult {
  const setup = setupFromTrace(reader, file);
  const outcome = reader.footer ? OUTCOME_NAMES[reader.footer.outcome] : undefined;
  if (!outcome || outcome === 'ok' || outcome === 'none') throw new NotFailing(`${file}: the run ended ${outcome ?? 'without a footer'}; shrink needs a failing trace (hang, deadlock, fault, limit)`);
  const tape = recordedTape(reader);
  const cache = new Map<string, boolean>();
  let runs = 0;
  const fails = (keep: number[]): boolean => {
    const key = keep.join(',');
    const known = cache.get(key);
    if (known !== undefined) return known;
    runs++;
    onRun(runs);
    const run = runMachine(setup, { recorder: new NullRecorder(), choices: new EditedTapeChoices(tape, new Set(keep)) });
    const f = run.stop.outcome === outcome;
    cache.set(key, f);
    return f;
  };
  const candidates = tape.flatMap((e, i) => (e.value !== 0 ? [i] : []));
  const keep = fails([]) ? [] : fails(candidates) ? ddmin(candidates, fails) : candidates;

  // Record the reproducer with the minimal tape, on the machine the original trace describes.
  const sink = new MemorySink();
  const tracer = tracerFor(setup, sink, headerFor(setup, { toolVersion: reader.header.toolVersion, entropy: 'tape' }));
  const seqs: number[] = [];
  const choices = new EditedTapeChoices(tape, new Set(keep), (s, v, r) => {
    seqs.push(tracer.nextSeq);
    tracer.choice(s, v, r);
  });
  const run = runMachine(setup, { recorder: tracer, choices });
  finishTrace(tracer, run);
  return {
    outcome: run.stop.outcome,
    original: tape.length,
    candidates: candidates.length,
    kept: keep.map((i) => ({ index: i, site: CHOICE_SITE_NAMES[tape[i]!.site] ?? String(tape[i]!.site), value: tape[i]!.value, range: tape[i]!.range, seq: seqs[i] ?? -1 })),
    runs,
    bytes: sink.bytes(),
  };
}
