/// <reference lib="dom" />
/**
 * Viewer figures on three traces of about 10 million events: a shell running two function-heavy
 * programs (keyboard interrupts, IPC, context switches); a synthetic trace with random call depths,
 * durations and names (harder on the level of detail: nothing repeats, so nothing compresses or merges
 * easily); and an IPC-heavy real run, pingpong with 850,000 rounds (9.4 M events, 3.1 M messages:
 * the message layer's worst case). For each: generating the page, its size, the time to the first
 * frame in headless Chromium (target < 5 s), and frames per second while panning, zoomed out and
 * zoomed in (target >= 30), with the cost of the whole frame (tracks, messages, signals, selection).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Analysis } from '../../../analyze/db.js';
import { recordScenario } from '../../../src/session/record-session.js';
import { resolveScenario } from '../../../src/scenarios/resolve.js';
import { imagesFor } from '../../../src/session/setup.js';
import { FileSink } from '../../../tracer/file-writer.js';
import { buildViewerPage } from '../../../viewer/generate/page-builder.js';
import type { Browser } from 'playwright-core';
import { emptyHeader, Outcome } from '../../../tracer/packets.js';
import { generateSynthetic } from '../../../tracer/synthetic.js';
import { Tracer } from '../../../tracer/tracer.js';
import { chromiumAvailable, launchBrowser, openViewer } from '../../support/browser.js';
import type { BenchGroup, Figure } from '../figure.js';

interface PanResult {
  fps: number;
  /** 95th percentile of the whole frame's drawing time (main canvas and overlay). */
  p95: number;
  maxRects: number;
  maxArrows: number;
}

async function run(): Promise<Figure[]> {
  if (!chromiumAvailable()) {
    process.stdout.write('viewer: skipped (no /usr/bin/chromium; .ci/run installs it)\n');
    return [];
  }
  const dir = mkdtempSync(join(tmpdir(), 'l4trace-bench-viewer-'));
  try {
    const spec = resolveScenario({ scenario: 'shell', params: { lines: ['callheavy 25', 'callheavy 23', 'exit'], expect: null, programs: ['callheavy'] } }, 'bench', {});
    const trace = join(dir, 'big.l4t');
    recordScenario(spec, new FileSink(trace), { entropy: 'prng', toolVersion: 'bench', images: imagesFor(spec) });
    const g0 = performance.now();
    const a = await Analysis.open(trace);
    const events = a.loaded!.events;
    const html = await buildViewerPage(a, 'big.l4t');
    a.close();
    const file = join(dir, 'big.html');
    writeFileSync(file, html.chunks.join(''));
    const generateMs = performance.now() - g0;

    const synthetic = join(dir, 'synthetic.l4t');
    const sink = new FileSink(synthetic);
    const tracer = new Tracer(sink, { ...emptyHeader(), toolVersion: 'bench', scenarioName: 'synthetic', synthetic: true, cyclesPerUs: 200 });
    const end = generateSynthetic(tracer, { profile: 'mixed', events: 10_000_000, threads: 6, seed: 11, functions: 400 });
    tracer.finish({ outcome: Outcome.OK, endTime: end });
    const synthHtml = join(dir, 'synthetic.html');
    const sa = await Analysis.open(synthetic);
    const synthEvents = sa.loaded!.events;
    const sh = await buildViewerPage(sa, 'synthetic.l4t');
    sa.close();
    writeFileSync(synthHtml, sh.chunks.join(''));

    // IPC-heavy: pingpong, 850,000 rounds.
    const ppSpec = resolveScenario({ scenario: 'pingpong', params: {} }, 'bench', { sets: ['params.rounds=850000', 'spaces=["intra","inter"]', 'cpus=1'] });
    const ppTrace = join(dir, 'pingpong.l4t');
    recordScenario(ppSpec, new FileSink(ppTrace), { entropy: 'prng', toolVersion: 'bench', images: imagesFor(ppSpec) });
    const p0 = performance.now();
    const pa = await Analysis.open(ppTrace);
    const ppEvents = pa.loaded!.events;
    const ppMessages = Number(await pa.scalar('SELECT count(*) FROM ipc'));
    const ph = await buildViewerPage(pa, 'pingpong.l4t');
    pa.close();
    const ppHtml = join(dir, 'pingpong.html');
    writeFileSync(ppHtml, ph.chunks.join(''));
    const ppGenerateMs = performance.now() - p0;

    const browser = await launchBrowser();
    try {
      return [
        { name: 'viewer.trace_events', value: events, unit: 'events' },
        { name: 'viewer.generate_ms', value: generateMs, unit: 'ms' },
        { name: 'viewer.html_bytes', value: html.bytes, unit: 'bytes', vs: 'payload before gzip', ratio: html.bytes / html.payloadBytes },
        ...(await measure(browser, file, 'callheavy')),
        { name: 'viewer.synthetic.trace_events', value: synthEvents, unit: 'events' },
        { name: 'viewer.synthetic.html_bytes', value: sh.bytes, unit: 'bytes', vs: 'payload before gzip', ratio: sh.bytes / sh.payloadBytes },
        ...(await measure(browser, synthHtml, 'synthetic')),
        { name: 'viewer.ipc_heavy.trace_events', value: ppEvents, unit: 'events' },
        { name: 'viewer.ipc_heavy.messages', value: ppMessages, unit: 'messages' },
        { name: 'viewer.ipc_heavy.generate_ms', value: ppGenerateMs, unit: 'ms' },
        { name: 'viewer.ipc_heavy.html_bytes', value: ph.bytes, unit: 'bytes', vs: 'payload before gzip', ratio: ph.bytes / ph.payloadBytes },
        ...(await measure(browser, ppHtml, 'ipc_heavy')),
      ];
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** First frame (best of 3 loads) and panning at three zoom levels, scrolled to the busiest thread. */
async function measure(browser: Browser, file: string, label: string): Promise<Figure[]> {
  let firstFrame = Infinity;
  for (let i = 0; i < 3; i++) {
    const v = await openViewer(browser, file, '', SIZE);
    firstFrame = Math.min(firstFrame, await v.page.evaluate(() => window.__viewerTest!.firstFrameMs));
    await v.close();
  }
  const v = await openViewer(browser, file, '', SIZE);
  const pan = async (zoom: number): Promise<PanResult> =>
    v.page.evaluate(async (z) => {
      const h = window.__viewerTest!;
      // Scroll to the thread with the deepest call stack (the most rows of slices).
      const deepest = h.tracks.filter((t) => t.kind === 'depth').reduce((m, t) => (t.depth > m.depth ? t : m), { depth: -1, key: -1 } as { depth: number; key: number });
      const top = h.tracks.find((t) => t.kind === 'thread' && t.key === deepest.key);
      const w = h.view;
      const mid = (w.t0 + w.t1) / 2;
      const span = (w.t1 - w.t0) / z;
      h.setView(mid - span / 2, mid + span / 2, top ? top.y : 0);
      await new Promise(requestAnimationFrame);
      const frames = 120;
      const costs: number[] = [];
      let maxRects = 0;
      let maxArrows = 0;
      const t0 = performance.now();
      for (let i = 0; i < frames; i++) {
        h.pan(i < frames / 2 ? 25 : -25);
        await new Promise(requestAnimationFrame);
        // The whole frame: main canvas (tracks) and overlay (messages, signals, selection).
        costs.push(h.lastFrame.mainMs + h.lastFrame.overlayMs);
        maxRects = Math.max(maxRects, h.lastFrame.rectsDrawn);
        maxArrows = Math.max(maxArrows, h.lastFrame.arrows);
      }
      const elapsed = performance.now() - t0;
      costs.sort((x, y) => x - y);
      return { fps: (frames / elapsed) * 1000, p95: costs[Math.floor(frames * 0.95)]!, maxRects, maxArrows };
    }, zoom);
  const results: [string, PanResult][] = [];
  for (const z of [1, 300, 300_000]) results.push([z === 1 ? 'whole_run' : `zoom_${z}x`, await pan(z)]);
  await v.close();
  return [
    { name: `viewer.${label}.first_frame_ms`, value: firstFrame, unit: 'ms', vs: 'target 5,000 ms', ratio: firstFrame / 5000 },
    ...results.flatMap(([name, r]): Figure[] => [
      { name: `viewer.${label}.pan_fps_${name}`, value: r.fps, unit: 'frames/s', vs: 'target 30 frames/s', ratio: r.fps / 30 },
      { name: `viewer.${label}.frame_ms_p95_${name}`, value: r.p95, unit: 'ms' },
      { name: `viewer.${label}.rects_per_frame_max_${name}`, value: r.maxRects, unit: 'rects' },
      { name: `viewer.${label}.messages_in_view_max_${name}`, value: r.maxArrows, unit: 'messages' },
    ]),
  ];
}

const SIZE = { width: 1400, height: 900 };

export const viewerGroup: BenchGroup = {
  name: 'viewer',
  description: 'HTML timeline on ~10M-event traces (function-heavy, synthetic, IPC-heavy): page size, first frame and pan frames/s in headless Chromium',
  run,
};
