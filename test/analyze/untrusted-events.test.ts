/**
 * A stranger's trace can pass every integrity check and still hold events no machine wrote: random
 * kinds, payloads with 32-bit values, back references anywhere, switches on CPUs the header lacks. The
 * analyzer, its reports and exports and the viewer take them without an internal error (issue 12:
 * `view` used to fail with "unsigned column value -947327" when a uint32 field wrapped negative).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../analyze/report.js';
import { exportChromeJson } from '../../analyze/export-chrome.js';
import { exportPerfetto } from '../../analyze/export-perfetto.js';
import { scoreTrace } from '../../analyze/score.js';
import { UserError } from '../../tracer/errors.js';
import { TraceReader } from '../../tracer/reader.js';
import { buildViewerPage } from '../../viewer/generate/page-builder.js';
import { runCli, tempDir } from '../support/cli.js';
import { generateRandomStream } from '../support/random-stream.js';
import { withAnalysis } from '../support/analysis.js';

describe('random events with valid checks', () => {
  const dir = tempDir();

  it('load, report, score, Perfetto and Chrome exports and the viewer: results or user errors, never internal errors', async () => {
    const internal: string[] = [];
    const attempt = async (what: string, f: () => Promise<unknown> | unknown): Promise<void> => {
      try {
        await f();
      } catch (e) {
        if (!(e instanceof UserError)) internal.push(`${what}: ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
      }
    };
    for (let seed = 1; seed <= 16; seed++) {
      const s = generateRandomStream(seed, 2500, 1 + (seed % 6), { chunkEvents: 100 });
      const f = join(dir, `random${seed}.l4t`);
      writeFileSync(f, s.bytes);
      await attempt(`seed ${seed} score`, () => scoreTrace(TraceReader.fromBytes(s.bytes)));
      await attempt(`seed ${seed} analysis`, () =>
        withAnalysis(f, async (a) => {
          await attempt(`seed ${seed} report`, () => buildReport(a));
          await attempt(`seed ${seed} perfetto`, () => exportPerfetto(a, () => {}));
          await attempt(`seed ${seed} chrome`, () => exportChromeJson(a, () => {}));
          await attempt(`seed ${seed} view`, () => buildViewerPage(a, 'random'));
        }),
      );
    }
    expect(internal).toEqual([]);
  }, 120_000);

  it('a 32-bit IRQ number and a switch on a CPU the header lacks: stored as they are, or counted and left out', async () => {
    const f = join(dir, 'random3.l4t');
    await withAnalysis(f, async (a) => {
      const irq = await a.query('SELECT min(irq) AS lo, max(irq) AS hi FROM irq');
      expect(Number(irq.rows[0]!.lo)).toBeGreaterThanOrEqual(0);
      expect(Number(irq.rows[0]!.hi)).toBeGreaterThan(2 ** 31);
      const cpus = await a.query("SELECT max(cpu) AS hi FROM sched");
      expect(Number(cpus.rows[0]!.hi ?? 0)).toBeLessThan(2);
      const bad = await a.query("SELECT value FROM stats WHERE name = 'switch_on_unknown_cpu'");
      expect(Number(bad.rows[0]?.value ?? 0)).toBeGreaterThan(0);
    });
    const v = runCli(['view', f, '-o', join(dir, 'random3.html')]);
    expect(v.code, v.stderr).toBe(0);
  });
});
