/**
 * Progress bars for long commands (record, replay, sweep): drawn on stderr only when it is a terminal,
 * so piped output stays clean. The wall clock here only paces the drawing; it never reaches the machine.
 */
import cliProgress from 'cli-progress';
import { progressWanted } from './output.js';

export interface Progress {
  update(value: number, info?: string): void;
  stop(): void;
}

const QUIET: Progress = { update: () => {}, stop: () => {} };

/** A bar of `total` steps labelled `label`; `info` is shown after the counts. */
export function progressBar(label: string, total: number, unit: string): Progress {
  if (!progressWanted() || total <= 0) return QUIET;
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {info} | eta {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { info: '' });
  return {
    update: (value, info = '') => bar.update(Math.min(value, total), { info }),
    stop: () => bar.stop(),
  };
}

/** A bar whose total is known only once the work starts: created on the first update. */
export function progressOnDemand(label: string, unit: string): { update(done: number, total: number): void; stop(): void } {
  let bar: Progress | null = null;
  return {
    update: (done, total) => {
      bar ??= progressBar(label, total, unit);
      bar.update(done);
    },
    stop: () => bar?.stop(),
  };
}

/**
 * A running count with no known end (shrink's runs, record's cycles): one line, `label: N unit | info`,
 * redrawn by cli-progress like the bars, and quiet when stderr is not a terminal.
 */
export function progressCounter(label: string, unit: string, quiet = false): Progress {
  if (quiet || !progressWanted()) return QUIET;
  const bar = new cliProgress.SingleBar(
    {
      format: `${label}: {count} ${unit}{info}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1, 0, { count: '0', info: '' });
  return {
    update: (value, info = '') => bar.update(0, { count: Math.round(value).toLocaleString('en-US'), info: info ? ` | ${info}` : '' }),
    stop: () => bar.stop(),
  };
}
