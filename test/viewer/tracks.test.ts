/// <reference lib="dom" />
/**
 * What the tracks show, read back from the canvas: a CPU pixel takes the colour of the thread that
 * ran most of it (and a click there selects that thread's interval), every CPU has a track even when
 * nothing ran on it, each thread's state band shows where it was (for the race: pid 2's signal thread
 * ready, not receiving, when the kick was sent), the ruler's labels differ when zoomed in, and signal
 * labels never print over each other.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kind } from '../../tracer/catalogue.js';
import { TraceReader } from '../../tracer/reader.js';
import { STATE_COLOUR } from '../../viewer/app/states.js';
import { BrowserSession, type ViewerPage } from '../support/browser.js';
import { runCli, tempDir } from '../support/cli.js';

const golden = (name: string): string => fileURLToPath(new URL(`../../traces/${name}`, import.meta.url));
const dir = tempDir('l4trace-viewer-tracks-');
const page = (name: string): string => join(dir, name);

function view(trace: string, out: string, ...args: string[]): void {
  const r = runCli(['view', trace, '-o', out, ...args]);
  expect(r.code, r.stderr).toBe(0);
}

const session = new BrowserSession();
const load = (file: string) => session.open(file);

beforeAll(async () => {
  view(golden('signal-race-seed1-hang.l4t'), page('race.html'));
  view(golden('shell.l4t'), page('shell.html'));
  view(golden('pingpong-v2.l4t'), page('pingpong.html'));
  view(golden('signals-native.l4t'), page('signals.html'));
  const r = runCli(['record', 'clients-server', '--cpus', '2', '-o', page('cs2.l4t')]);
  expect(r.code, r.stderr).toBe(0);
  view(page('cs2.l4t'), page('cs2.html'));
  await session.start();
}, 120_000);

afterAll(async () => {
  await session.stop();
});

interface Column {
  x: number;
  pixel: [number, number, number];
  dominant: number;
  share: number;
  expected: [number, number, number];
}

/** Same colour, up to the rounding of colour conversions. */
const near = (a: number[], b: number[]): boolean => a.every((v, i) => Math.abs(v - b[i]!) <= 3);

/** Columns whose thread ran most of them and of both neighbours (no blended edge pixel). */
function clear(cols: Column[]): Column[] {
  return cols.filter((c, i) => c.share > 0.6 && cols[i - 1]?.dominant === c.dominant && cols[i + 1]?.dominant === c.dominant && cols[i - 1]!.x === c.x - 1 && cols[i + 1]!.x === c.x + 1);
}

/**
 * For each pixel column of CPU track 0 in the current view: the colour drawn, and the thread that ran
 * most of that column's time, computed here from the raw intervals, with the colour it is drawn in.
 */
async function cpuColumns(v: ViewerPage): Promise<Column[]> {
  return v.page.evaluate(() => {
    const t = window.__viewerTest!;
    t.drawNow();
    // The bar's top row: above the labels drawn on wide bars.
    const y = t.trackY('cpu', 0)! + 2;
    const ctx = (document.getElementById('cmain') as HTMLCanvasElement).getContext('2d')!;
    const probe = document.createElement('canvas').getContext('2d')!;
    const rgb = (css: string): [number, number, number] => {
      probe.fillStyle = css;
      probe.fillRect(0, 0, 1, 1);
      const d = probe.getImageData(0, 0, 1, 1).data;
      return [d[0]!, d[1]!, d[2]!];
    };
    const iv = t.schedOf(0);
    const w = t.view;
    const out: Column[] = [];
    const x0 = Math.ceil(t.x(Math.max(w.t0, iv[0]![0])));
    const x1 = Math.floor(t.x(Math.min(w.t1, iv[iv.length - 1]![1])));
    let k = 0;
    for (let x = x0; x < x1; x++) {
      const a = w.t0 + ((x - 220) / (w.width - 220)) * (w.t1 - w.t0);
      const b = a + (w.t1 - w.t0) / (w.width - 220);
      while (k < iv.length && iv[k]![1] <= a) k++;
      const time = new Map<number, number>();
      for (let j = k; j < iv.length && iv[j]![0] < b; j++) time.set(iv[j]![2], (time.get(iv[j]![2]) ?? 0) + Math.min(b, iv[j]![1]) - Math.max(a, iv[j]![0]));
      let dominant = -1;
      let most = 0;
      for (const [u, d] of time) if (d > most) [dominant, most] = [u, d];
      if (dominant < 0) continue;
      const d = ctx.getImageData(x, y, 1, 1).data;
      out.push({ x, pixel: [d[0]!, d[1]!, d[2]!], dominant, share: most / (b - a), expected: rgb(t.threadColour(dominant)) });
    }
    return out;
  });
}

describe('CPU tracks', () => {
  for (const name of ['race', 'shell', 'pingpong']) {
    it(`${name}, whole run: each pixel column shows the thread that ran most of it`, async () => {
      const v = await load(page(`${name}.html`));
      const cols = clear(await cpuColumns(v));
      expect(cols.length).toBeGreaterThan(10);
      const wrong = cols.filter((c) => !near(c.pixel, c.expected));
      expect(wrong.slice(0, 5)).toEqual([]);
      expect(v.errors).toEqual([]);
    });
  }

  it('the race, whole run: the spinning pid 2 fills the end; zoomed in, every switch shows', async () => {
    const v = await load(page('race.html'));
    await v.page.keyboard.press('0'); // the page opens on the lost kick: the whole run is one key away
    const cols = await cpuColumns(v);
    const late = clear(cols).filter((c) => c.x > 700);
    const spinner = await v.page.evaluate(() => window.__viewerTest!.tracks.filter((t) => t.kind === 'thread' && t.label.startsWith('sigrace')).pop()!.key);
    expect(late.length).toBeGreaterThan(100);
    expect(late.filter((c) => c.dominant !== spinner || !near(c.pixel, c.expected))).toEqual([]);
    await v.page.evaluate(() => window.__viewerTest!.setView(90_000, 121_000));
    const race = await cpuColumns(v);
    expect(new Set(race.map((c) => c.dominant)).size).toBeGreaterThanOrEqual(3);
    expect(clear(race).filter((c) => !near(c.pixel, c.expected))).toEqual([]);
  });

  it('a click on a CPU pixel selects an interval of the thread that pixel shows', async () => {
    const v = await load(page('shell.html'));
    const cols = clear(await cpuColumns(v));
    const box = (await v.page.locator('#timeline').boundingBox())!;
    const y = await v.page.evaluate(() => window.__viewerTest!.trackY('cpu', 0)! + 2);
    for (const c of cols.filter((_, i) => i % Math.ceil(cols.length / 12) === 0)) {
      await v.page.mouse.click(box.x + c.x + 0.5, box.y + y);
      const sel = await v.page.evaluate(() => window.__viewerTest!.selection);
      expect(sel?.kind).toBe('sched');
      const utid = await v.page.evaluate((i) => window.__viewerTest!.schedOf(0).find((_, k) => k === i)![2], sel!.index);
      expect(utid, `x ${c.x}`).toBe(c.dominant);
    }
  });

  it('a CPU nothing ran on still has its track (clients-server on 2 CPUs)', async () => {
    const v = await load(page('cs2.html'));
    const tracks = await v.page.evaluate(() => window.__viewerTest!.tracks.filter((t) => t.kind === 'cpu').map((t) => t.label));
    expect(tracks).toEqual(['CPU 0', 'CPU 1']);
    expect(await v.page.locator('#title').textContent()).toMatch(/· 2 CPU ·/);
    expect(v.errors).toEqual([]);
  });
});

describe('thread states', () => {
  it('the race: when the kick was sent, pid 2\'s signal thread was ready (not receiving); a click on its band says so', async () => {
    const v = await load(page('race.html'));
    const kick = [...TraceReader.open(golden('signal-race-seed1-hang.l4t')).events({ kinds: new Set([Kind.SIG_SEND]) })][0]!.time;
    const r = await v.page.evaluate((k) => {
      const t = window.__viewerTest!;
      t.setView(k - 4000, k + 4000);
      t.drawNow();
      // pid 2's signal thread: the last one laid out.
      const th = t.tracks.filter((x) => x.kind === 'thread' && x.label.startsWith('l4linux-signal-thread')).pop()!;
      const y = t.trackY('thread', th.key)! + th.h - 3;
      const d = (document.getElementById('cmain') as HTMLCanvasElement).getContext('2d')!.getImageData(Math.round(t.x(k)), Math.round(y), 1, 1).data;
      // 100 px before the kick (no message near enough to take the click), still the same state.
      const e = (document.getElementById('cmain') as HTMLCanvasElement).getContext('2d')!.getImageData(Math.round(t.x(k)) - 100, Math.round(y), 1, 1).data;
      return { rgb: [d[0], d[1], d[2]], before: [e[0], e[1], e[2]], x: t.x(k) - 100, y, label: th.label };
    }, kick);
    const hex = STATE_COLOUR.ready;
    expect(r.rgb).toEqual([1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));
    expect(r.before).toEqual(r.rgb);
    const box = (await v.page.locator('#timeline').boundingBox())!;
    await v.page.mouse.click(box.x + r.x, box.y + r.y);
    const details = await v.page.evaluate(() => window.__viewerTest!.detailsText());
    expect(details).toMatch(/l4linux-signal-thread \[2\]/);
    expect(details).toMatch(/stateready from/);
    expect(v.errors).toEqual([]);
  });
});

describe('labels', () => {
  it('the ruler\'s labels differ when zoomed in, in cycles and in time', async () => {
    const v = await load(page('race.html'));
    for (const span of [200, 2_000, 31_000]) {
      const ticks = await v.page.evaluate((s) => {
        const t = window.__viewerTest!;
        t.setView(107_000, 107_000 + s);
        t.drawNow();
        return t.ruler();
      }, span);
      expect(ticks.length).toBeGreaterThanOrEqual(3);
      expect(new Set(ticks.map((t) => t.cycles)).size).toBe(ticks.length);
      expect(new Set(ticks.map((t) => t.time)).size).toBe(ticks.length);
    }
  });

  it('a failed send\'s label never prints over a thread\'s final state', async () => {
    const v = await load(page('race.html'));
    for (const [t0, t1] of [[100_000, 125_000], [0, 10_500_000], [0, 1_000_000], [105_000, 110_000]]) {
      const r = await v.page.evaluate(([a, b]) => {
        const t = window.__viewerTest!;
        t.setView(a!, b!);
        const f = t.drawNow();
        const ctx = (document.getElementById('cover') as HTMLCanvasElement).getContext('2d')!;
        ctx.font = '600 11px system-ui, sans-serif';
        const box = (x: number, y: number, text: string) => ({ x0: x - 3, x1: x + 3 + Math.min(420, ctx.measureText(text).width), y0: y - 7, y1: y + 7 });
        return {
          failed: f.failedIpc.filter((x) => x.labelBox).map((x) => ({ x0: x.labelBox!.x, x1: x.labelBox!.x + x.labelBox!.w, y0: x.labelBox!.y, y1: x.labelBox!.y + x.labelBox!.h })),
          finals: f.finalStates.map((x) => box(x.x, x.y, `at the end: ${x.state}`)),
          labels: f.failedIpc.map((x) => x.label),
        };
      }, [t0, t1]);
      if (t1 - t0 < 30_000) expect(r.failed.length).toBe(1);
      for (const a of r.failed) for (const b of r.finals) {
        const overlap = a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
        expect(overlap, JSON.stringify({ a, b })).toBe(false);
      }
    }
    expect(v.errors).toEqual([]);
  });

  it('signal labels never print over each other, and an ignored signal reads "ignored" once', async () => {
    const v = await load(page('signals.html'));
    for (const [a, b] of [[0, 1], [0, 0.001], [0.0001, 0.0003], [0.019, 0.021]]) {
      const boxes = await v.page.evaluate(([p, q]) => {
        const t = window.__viewerTest!;
        const end = t.view.t1;
        t.setView(end * p!, end * q! + 20_000);
        const f = t.drawNow();
        const ctx = (document.getElementById('cover') as HTMLCanvasElement).getContext('2d')!;
        ctx.font = '600 11px system-ui, sans-serif';
        return f.signals.filter((s) => s.label).map((s) => ({ x0: s.x + 8, x1: s.x + 12 + ctx.measureText(s.label).width, label: s.label }));
      }, [a, b]);
      for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) expect(boxes[i]!.x1 <= boxes[j]!.x0 || boxes[j]!.x1 <= boxes[i]!.x0, `${boxes[i]!.label} / ${boxes[j]!.label}`).toBe(true);
      for (const b2 of boxes) expect(b2.label).not.toMatch(/ignored: ignored/);
    }
    // Around the SIGUSR2 the process ignores (SIG_SEND with path IGNORED), wherever the machine puts it.
    const ignoredAt = [...TraceReader.open(golden('signals-native.l4t')).events()].find((e) => e.kind === Kind.SIG_SEND && e.args[2] === 12 && e.args[3] === 4)!.time;
    const all = await v.page.evaluate((at) => {
      const t = window.__viewerTest!;
      t.setView(at - 1_000, at + 1_000);
      return t.drawNow().signals.map((s) => s.label);
    }, ignoredAt);
    expect(all).toContain('SIGUSR2 pid 1→1: ignored');
    expect(v.errors).toEqual([]);
  });
});
