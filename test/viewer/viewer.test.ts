/// <reference lib="dom" />
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kind, makeGid } from '../../tracer/catalogue.js';
import { emptyHeader, Outcome, ThreadKind } from '../../tracer/packets.js';
import { TraceReader } from '../../tracer/reader.js';
import { MemorySink } from '../../tracer/sink.js';
import { Tracer } from '../../tracer/tracer.js';
import { BrowserSession, reddest } from '../support/browser.js';
import { runCli, tempDir } from '../support/cli.js';

const golden = (name: string): string => fileURLToPath(new URL(`../../traces/${name}`, import.meta.url));
const dir = tempDir('l4trace-viewer-');
const page = (name: string): string => join(dir, name);

function view(trace: string, out: string, ...args: string[]): void {
  const r = runCli(['view', trace, '-o', out, ...args]);
  expect(r.code, r.stderr).toBe(0);
}

/** A trace whose thread, task, function and scenario names are markup and quotes. */
const EVIL = {
  thread: `<script>window.__pwned = 1</script>"'`,
  task: `<img src=x onerror="window.__pwned = 2">`,
  fn: `"><svg onload="window.__pwned = 3"><script>alert('fn')</script>`,
  scenario: `</title><script>window.__pwned = 4</script>`,
};

function evilTrace(path: string): void {
  const sink = new MemorySink();
  const tracer = new Tracer(sink, { ...emptyHeader(), toolVersion: 'test', scenarioName: EVIL.scenario, synthetic: true, cyclesPerUs: 200 });
  const fn = tracer.intern(EVIL.fn);
  const a = tracer.addThread({ l4Id: makeGid(16, 0, 1), name: EVIL.thread, task: 16, lthread: 0, version: 1, kind: ThreadKind.SYNTHETIC, cpu: 0, priority: 100, taskName: EVIL.task });
  const b = tracer.addThread({ l4Id: makeGid(17, 0, 1), name: 'server', task: 17, lthread: 0, version: 1, kind: ThreadKind.SYNTHETIC, cpu: 0, priority: 100, taskName: 'server' });
  a.emit(Kind.CONTEXT_SWITCH, 10, 0, makeGid(16, 0, 1), 8, 1, 100, 100);
  a.funcEnter(100, fn);
  const call = a.emit(Kind.IPC, 200, 4, makeGid(17, 0, 1), 0, 0, 0, 7, 0, 0, 1, 0);
  const wait = b.emit(Kind.IPC, 150, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  b.emit(Kind.IPC_RES, 260, wait, call, 0, makeGid(16, 0, 1), 7, 0, 0, 1);
  a.emit(Kind.FUNC_EXIT, 900);
  tracer.finish({ outcome: Outcome.HANG, outcomeDetail: `goal not reached: ${EVIL.thread} receiving from server`, endTime: 1000 });
  writeFileSync(path, sink.bytes());
}

const session = new BrowserSession();
const load = (file: string, hash = '') => session.open(file, hash);

beforeAll(async () => {
  view(golden('signal-race-seed1-hang.l4t'), page('race.html'));
  view(golden('signal-race-seed1-handshake.l4t'), page('handshake.html'));
  view(golden('shell.l4t'), page('shell.html'));
  evilTrace(page('evil.l4t'));
  view(page('evil.l4t'), page('evil.html'));
  await session.start();
}, 120_000);

afterAll(async () => {
  await session.stop();
});


describe('the signal-race page', () => {
  it('shows CPU and thread tracks, the failed kick and the missing delivery, offline and without errors', async () => {
    const html = readFileSync(page('race.html'), 'utf8');
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-/);
    const v = await load(page('race.html'));
    const h = await v.page.evaluate(() => {
      const t = window.__viewerTest!;
      return { tracks: t.tracks, frame: t.drawNow() };
    });
    expect(h.tracks.filter((t) => t.kind === 'cpu').map((t) => t.label)).toEqual(['CPU 0']);
    const threads = h.tracks.filter((t) => t.kind === 'thread').map((t) => t.label.split(/\s+/)[0]);
    expect(threads).toEqual(expect.arrayContaining(['linux-server', 'linux-pager', 'sigrace', 'l4linux-signal-thread']));
    expect(h.frame.cpuRows).toBe(1);
    expect(h.frame.threadTracks).toBeGreaterThanOrEqual(8);
    // The kick: linux-server's send to pid 2's signal thread, not received.
    expect(h.frame.failedIpc).toEqual([expect.objectContaining({ sender: expect.stringMatching(/^linux-server /), dest: expect.stringMatching(/^l4linux-signal-thread \[2\] /) })]);
    // The signal: SIGTERM 1 -> 2, kick SETIMEOUT, never delivered; pid 2 is still running at the end.
    expect(h.frame.signals).toEqual([expect.objectContaining({ sig: 'SIGTERM', from: 1, to: 2, kick: 'SETIMEOUT', delivered: false })]);
    expect(h.frame.finalStates).toEqual(expect.arrayContaining([expect.objectContaining({ thread: expect.stringMatching(/^sigrace \[2\] /), state: 'ready' })]));
    // And they are drawn: red where the failed kick ends and where the signal is marked.
    const [r1, g1, b1] = await reddest(v, h.frame.failedIpc[0]!.x, h.frame.failedIpc[0]!.y);
    expect(r1).toBeGreaterThan(150);
    expect(g1 + b1).toBeLessThan(120);
    const [r2, g2] = await reddest(v, h.frame.signals[0]!.x + 2, h.frame.signals[0]!.y);
    expect(r2).toBeGreaterThan(150);
    expect(g2).toBeLessThan(80);
    expect(await v.page.locator('#outcome').textContent()).toMatch(/^outcome hang/);
    expect(v.requests).toEqual([]);
    expect(v.errors).toEqual([]);
  });

  it('clicking the failed kick\'s cross selects that message: sender, addressed thread, nobody received it, SETIMEOUT', async () => {
    const v = await load(page('race.html'));
    await v.page.evaluate(() => window.__viewerTest!.setView(100_000, 125_000));
    const f = await v.page.evaluate(() => window.__viewerTest!.drawNow());
    const cross = f.failedIpc[0]!;
    const box = (await v.page.locator('#cover').boundingBox())!;
    await v.page.mouse.click(box.x + cross.x, box.y + cross.y);
    const sel = await v.page.evaluate(() => window.__viewerTest!.selection);
    expect(sel).toEqual(expect.objectContaining({ kind: 'ipc' }));
    const text = await v.page.evaluate(() => window.__viewerTest!.detailsText());
    expect(text).toMatch(/linux-server/);
    expect(text).toMatch(/l4linux-signal-thread \[2\]/);
    expect(text).toMatch(/received bynobody/);
    expect(text).toMatch(/SETIMEOUT/);
    expect(v.errors).toEqual([]);
  });

  it('with the handshake fix the same signal is drawn delivered (green), with no failed kick', async () => {
    const v = await load(page('handshake.html'));
    const f = await v.page.evaluate(() => window.__viewerTest!.drawNow());
    expect(f.failedIpc).toEqual([]);
    const term = f.signals.filter((s) => s.sig === 'SIGTERM');
    expect(term.some((s) => s.delivered)).toBe(true);
    const d = term.find((s) => s.delivered)!;
    const rgb = await v.page.evaluate(([x, y]) => Array.from((document.getElementById('cover') as HTMLCanvasElement).getContext('2d')!.getImageData(Math.round(x!) + 2, Math.round(y!), 1, 1).data), [d.x, d.y]);
    expect(rgb[1]!).toBeGreaterThan(rgb[0]!); // green, not red
    expect(v.errors).toEqual([]);
  });
});

describe('interaction', () => {
  it('W/S zoom, A/D pan, 0 shows the whole run, click selects with details, F zooms to it, Esc clears', async () => {
    const v = await load(page('race.html'));
    const p = v.page;
    const viewOf = (): Promise<{ t0: number; t1: number; scrollY: number }> => p.evaluate(() => window.__viewerTest!.view);
    await p.focus('#timeline');
    await p.keyboard.press('0'); // the page opens on the lost kick (last-mile.test.ts); the whole run first
    const v0 = await viewOf();
    const span0 = v0.t1 - v0.t0;
    await p.keyboard.press('w');
    const v1 = await viewOf();
    expect((v1.t1 - v1.t0) / span0).toBeCloseTo(1 / 1.4, 2);
    await p.keyboard.press('d');
    const v2 = await viewOf();
    expect(v2.t0).toBeGreaterThan(v1.t0);
    expect(v2.t1 - v2.t0).toBeCloseTo(v1.t1 - v1.t0, 3);
    await p.keyboard.press('a');
    expect((await viewOf()).t0).toBeCloseTo(v1.t0, 0);
    await p.keyboard.press('s');
    await p.keyboard.press('0');
    const v3 = await viewOf();
    expect(v3.t1 - v3.t0).toBeCloseTo(span0, 0);

    // Click sigrace [1]'s outermost call (main, still open at the end).
    const target = await p.evaluate(() => {
      const t = window.__viewerTest!;
      const th = t.tracks.find((x) => x.kind === 'thread' && x.label.startsWith('sigrace'))!;
      const w = t.view;
      return { x: t.x(w.t0 + (w.t1 - w.t0) * 0.7), y: t.trackY('depth', th.key, 0)! + 6 };
    });
    const box = (await p.locator('#timeline').boundingBox())!;
    await p.mouse.click(box.x + target.x, box.y + target.y);
    const sel = await p.evaluate(() => window.__viewerTest!.selection);
    expect(sel?.kind).toBe('slice');
    const details = await p.evaluate(() => window.__viewerTest!.detailsText());
    expect(details).toMatch(/^main/);
    expect(details).toMatch(/unfinished at the end of the run/);
    expect(details).toMatch(/call path/);
    expect(details).toMatch(/replay --until \d+ --inspect/);
    // F zooms to the selection: a short call, from the whole run.
    expect(await p.evaluate(() => window.__viewerTest!.search('ipc:call'))).toMatch(/^1 \//);
    await p.focus('#timeline');
    await p.keyboard.press('0');
    await p.keyboard.press('f');
    const v4 = await viewOf();
    expect(v4.t1 - v4.t0).toBeLessThan(span0 / 100);
    await p.keyboard.press('Escape');
    expect(await p.evaluate(() => window.__viewerTest!.selection)).toBeNull();
    // A click on the CPU track selects the interval that ran there.
    await p.keyboard.press('0');
    const cpu = await p.evaluate(() => ({ x: window.__viewerTest!.x(110_000), y: window.__viewerTest!.trackY('cpu', 0)! + 8 }));
    await p.mouse.click(box.x + cpu.x, box.y + cpu.y);
    expect((await p.evaluate(() => window.__viewerTest!.selection))?.kind).toBe('sched');
    expect(await p.evaluate(() => window.__viewerTest!.detailsText())).toMatch(/on CPU.*switched in because/);
    expect(v.errors).toEqual([]);
  });

  it('W/S zoom at the mouse over the timeline, and around the view\'s centre when the mouse is elsewhere', async () => {
    const v = await load(page('race.html'));
    const p = v.page;
    const viewOf = (): Promise<{ t0: number; t1: number }> => p.evaluate(() => window.__viewerTest!.view);
    const box = (await p.locator('#timeline').boundingBox())!;
    // Over the plot, 100 px from its left edge: the time under the mouse stays put.
    await p.mouse.move(box.x + 320, box.y + 300);
    await p.focus('#timeline');
    const a = await viewOf();
    const at = await p.evaluate(() => window.__viewerTest!.view.t0 + ((320 - 220) / (window.__viewerTest!.view.width - 220)) * (window.__viewerTest!.view.t1 - window.__viewerTest!.view.t0));
    await p.keyboard.press('w');
    const b = await viewOf();
    const atAfter = await p.evaluate(() => window.__viewerTest!.view.t0 + ((320 - 220) / (window.__viewerTest!.view.width - 220)) * (window.__viewerTest!.view.t1 - window.__viewerTest!.view.t0));
    expect(b.t1 - b.t0).toBeLessThan(a.t1 - a.t0);
    expect(Math.abs(atAfter - at)).toBeLessThan((b.t1 - b.t0) / 1000);
    // Over the details panel: around the centre.
    const details = (await p.locator('#details').boundingBox())!;
    await p.mouse.move(details.x + details.width / 2, details.y + 100);
    await p.focus('#timeline');
    await p.keyboard.press('w');
    const c = await viewOf();
    expect(c.t1 - c.t0).toBeLessThan(b.t1 - b.t0);
    expect(Math.abs((c.t0 + c.t1) / 2 - (b.t0 + b.t1) / 2)).toBeLessThan((c.t1 - c.t0) / 1000);
    expect(v.errors).toEqual([]);
  });

  it('search finds functions and threads by name; Enter / Shift+Enter and n / N walk the hits', async () => {
    const v = await load(page('shell.html'));
    const p = v.page;
    const hits = (): Promise<string | null> => p.locator('#hits').textContent();
    await p.keyboard.press('/');
    await p.keyboard.type('parse');
    await p.keyboard.press('Enter');
    const first = (await hits())!;
    const m = /^1 \/ (\d+)$/.exec(first);
    expect(m, first).not.toBeNull();
    const n = Number(m![1]);
    expect(n).toBeGreaterThan(1);
    expect(await p.evaluate(() => window.__viewerTest!.detailsText())).toMatch(/^parse/);
    const sel1 = await p.evaluate(() => window.__viewerTest!.selection);
    await p.keyboard.press('Enter');
    expect(await hits()).toBe(`2 / ${n}`);
    const sel2 = await p.evaluate(() => window.__viewerTest!.selection);
    expect(sel2).not.toEqual(sel1);
    await p.keyboard.press('Shift+Enter');
    expect(await hits()).toBe(`1 / ${n}`);
    // Leave the box; n and N keep walking.
    await p.keyboard.press('Escape');
    await p.keyboard.press('n');
    expect(await hits()).toBe(`2 / ${n}`);
    await p.keyboard.press('N');
    expect(await hits()).toBe(`1 / ${n}`);
    // The selected hit is inside the view: its interval overlaps the view's range.
    const hit = await p.evaluate(() => {
      const t = window.__viewerTest!;
      const m = /start([\d,]+) cyc.*?duration([\d,]+) cyc/.exec(t.detailsText())!;
      const start = Number(m[1]!.replace(/,/g, ''));
      return { kind: t.selection!.kind, start, end: start + Number(m[2]!.replace(/,/g, '')), view: t.view };
    });
    expect(hit.kind).toBe('slice');
    expect(hit.start).toBeLessThanOrEqual(hit.view.t1);
    expect(hit.end).toBeGreaterThanOrEqual(hit.view.t0);
    // A thread name selects the thread (outlined, its details shown) and scrolls to its track.
    const before = await p.evaluate(() => window.__viewerTest!.view.scrollY);
    expect(await p.evaluate(() => window.__viewerTest!.search('l4linux-signal'))).toMatch(/^1 \/ \d+$/);
    const th = await p.evaluate(() => ({ sel: window.__viewerTest!.selection, details: window.__viewerTest!.detailsText(), scrollY: window.__viewerTest!.view.scrollY }));
    expect(th.scrollY).not.toBe(before);
    expect(th.sel?.kind).toBe('thread');
    expect(th.details).toMatch(/^l4linux-signal-thread \[\d+\]/);
    // A name matching a thread and functions reaches the thread first.
    expect(await p.evaluate(() => window.__viewerTest!.search('se'))).toMatch(/^1 \/ \d+$/);
    expect(await p.evaluate(() => window.__viewerTest!.selection?.kind)).toBe('thread');
    expect(await p.evaluate(() => window.__viewerTest!.detailsText())).toMatch(/^linux-server/);
    expect(await p.evaluate(() => window.__viewerTest!.search('no-such-name-anywhere'))).toBe('no match');
    // Ctrl+F focuses the search box.
    await p.focus('#timeline');
    await p.keyboard.press('Control+f');
    expect(await p.evaluate(() => document.activeElement?.id)).toBe('search');
    expect(v.errors).toEqual([]);
  });

  it('the URL hash keeps the range, scroll and selection, and reopens the same view', async () => {
    const v = await load(page('shell.html'));
    const p = v.page;
    await p.focus('#timeline');
    await p.keyboard.press('w');
    await p.keyboard.press('w');
    await p.keyboard.press('d');
    await p.evaluate(() => window.__viewerTest!.search('split_words'));
    await p.waitForFunction(() => /sel=slice:\d+/.test(location.hash) && /t=\d+,\d+/.test(location.hash));
    await p.waitForTimeout(300);
    const url = p.url();
    const hash = url.slice(url.indexOf('#'));
    const want = await p.evaluate(() => ({ view: window.__viewerTest!.view, sel: window.__viewerTest!.selection }));
    const again = await load(page('shell.html'), hash);
    const got = await again.page.evaluate(() => ({ view: window.__viewerTest!.view, sel: window.__viewerTest!.selection }));
    expect(Math.abs(got.view.t0 - want.view.t0)).toBeLessThanOrEqual(1);
    expect(Math.abs(got.view.t1 - want.view.t1)).toBeLessThanOrEqual(1);
    expect(got.view.scrollY).toBeCloseTo(want.view.scrollY, 0);
    expect(got.sel).toEqual(want.sel);
    expect(await again.page.evaluate(() => window.__viewerTest!.detailsText())).toMatch(/^split_words/);
    expect(again.errors).toEqual([]);
  });

  it('the summary panels open on P, each chart under the mark cap', async () => {
    const v = await load(page('shell.html'));
    await v.page.focus('#timeline');
    await v.page.keyboard.press('p');
    await v.page.waitForFunction(() => window.__viewerTest!.panelMarks > 0);
    const charts = await v.page.evaluate(() => [...document.querySelectorAll('#panels svg')].map((s) => s.querySelectorAll('rect, path, circle, line').length));
    expect(charts.length).toBeGreaterThanOrEqual(4);
    for (const n of charts) expect(n).toBeLessThanOrEqual(5000);
    const titles = await v.page.locator('#panels h4').allTextContents();
    expect(titles.join('|')).toMatch(/function profile.*IPC matrix.*interrupt latency.*thread states over time/);
    expect(v.errors).toEqual([]);
  });
});

describe('names from the trace stay inert', () => {
  it('a trace whose names hold <script>, event handlers and quotes runs no script of its own', async () => {
    const html = readFileSync(page('evil.html'), 'utf8');
    // The only trace string in the markup is the escaped title; the rest is inside the base64 payload.
    expect(/<script>window\.__pwned|<img src=x|<svg onload/.test(html)).toBe(false);
    expect(html.includes('<title>l4trace &lt;/title&gt;&lt;script&gt;window.__pwned = 4&lt;/script&gt;')).toBe(true);
    const v = await load(page('evil.html'));
    const p = v.page;
    expect(await p.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    // The names are there, as text.
    expect(await p.locator('#title').textContent()).toContain(EVIL.scenario);
    expect(await p.locator('#outcome').textContent()).toContain(EVIL.thread);
    const tracks = await p.evaluate(() => window.__viewerTest!.tracks.map((t) => t.label));
    expect(tracks.some((l) => l.startsWith(EVIL.thread))).toBe(true);
    expect(tracks.some((l) => l.startsWith(EVIL.task))).toBe(true);
    expect(await p.evaluate(() => window.__viewerTest!.search('<svg onload'))).toBe('1 / 1');
    const details = await p.evaluate(() => window.__viewerTest!.detailsText());
    expect(details).toContain(EVIL.fn);
    expect(details).toContain(EVIL.thread);
    expect(await p.locator('#details script, #details img, #details svg, #title *, #outcome *').count()).toBe(0);
    await p.keyboard.press('p');
    await p.waitForFunction(() => window.__viewerTest!.panelMarks > 0);
    expect(await p.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await p.locator('#panels script, #panels img, #panels foreignObject').count()).toBe(0);
    expect(v.errors).toEqual([]);
    expect(v.requests).toEqual([]);
  });
});

describe('l4trace view', () => {
  it('cuts a time window and a thread selection', async () => {
    const out = page('window.html');
    view(golden('shell.l4t'), out, '--from', '10000000', '--to', '12000000', '--threads', 'sh,linux-server');
    const v = await load(out);
    const t = await v.page.evaluate(() => ({ tracks: window.__viewerTest!.tracks, view: window.__viewerTest!.view }));
    const names = new Set(t.tracks.filter((x) => x.kind === 'thread').map((x) => x.label.split(/\s+/)[0]));
    expect([...names].sort()).toEqual(['linux-server', 'sh']);
    expect(t.view.t0).toBeGreaterThan(9_000_000);
    expect(t.view.t1).toBeLessThan(13_000_000);
    // CPU intervals of threads left out are named as on the timeline, not by number.
    const cpuNames = await v.page.evaluate(() => {
      const h = window.__viewerTest!;
      const out: string[] = [];
      h.schedOf(0).forEach((_, i) => {
        h.select('sched', i);
        out.push(/thread(.*?) \(utid/.exec(h.detailsText())?.[1] ?? '');
      });
      return [...new Set(out)];
    });
    expect(cpuNames.length).toBeGreaterThan(2);
    expect(cpuNames.filter((n) => !n || n.startsWith('#'))).toEqual([]);
  });

  it('refuses a page above --max-size (browsers fail on huge pages) unless --force, and warns', () => {
    const out = page('big.html');
    const r = runCli(['view', golden('shell.l4t'), '-o', out, '--max-size', '0.05']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the page would be [\d.]+ MB, more than --max-size 0\.05 MB.*--from\/--to, --threads, or l4trace filter, or --force/);
    const f = runCli(['view', golden('shell.l4t'), '-o', out, '--max-size', '0.05', '--force']);
    expect(f.code, f.stderr).toBe(0);
    expect(f.stderr).toMatch(/warning: .*browsers may be slow or fail to open pages this big/);
  });

  it('names a thread that is not there, and a window that is not one', () => {
    const r = runCli(['view', golden('shell.l4t'), '-o', page('x.html'), '--threads', 'nosuch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--threads: no thread named or numbered "nosuch" \(threads: .*linux-server/);
    const w = runCli(['view', golden('shell.l4t'), '-o', page('x.html'), '--from', '5', '--to', '3']);
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(/--from 5 --to 3/);
    const empty = runCli(['view', golden('shell.l4t'), '-o', page('x.html'), '--threads', ',']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/--threads ",": no thread names/);
  });

  it('refuses a window after the end of the run, naming the run\'s range, and an output that is a folder', () => {
    const r = runCli(['view', golden('signal-race-seed1-hang.l4t'), '-o', page('late.html'), '--from', '20000000', '--to', '30000000']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const end = TraceReader.open(golden('signal-race-seed1-hang.l4t')).footer!.endTime;
    expect(r.stderr).toContain(`--from 20000000: after the end of the run (the run spans 0 to ${end} cycles)`);
    const d = runCli(['view', golden('signal-race-seed1-hang.l4t'), '-o', dir]);
    expect(d.code).toBe(1);
    expect(d.stderr.trim().split('\n')).toHaveLength(1);
    expect(d.stderr).toMatch(/is a folder; give the HTML file's name/);
    expect(d.stderr).not.toMatch(/internal error|EISDIR/);
  });
});
