/// <reference lib="dom" />
/**
 * The viewer's last mile, in the browser: the legend names the slice categories, thread states and
 * message styles; Esc closes the key list; the function profile's bars have height; the ruler's
 * right-most label stays inside the canvas; the page opens on the story (the signal race's lost kick)
 * and `0` shows the whole run, `1` goes back; a thread has one name in the track list and in details.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Analysis } from '../../analyze/db.js';
import { buildViewerPage } from '../../viewer/generate/page-builder.js';
import { BrowserSession } from '../support/browser.js';
import { tempDir } from '../support/cli.js';

const golden = (name: string): string => fileURLToPath(new URL(`../../traces/${name}`, import.meta.url));
const dir = tempDir('l4trace-viewer-last-');
const session = new BrowserSession();
let kick = 0;
let endTime = 0;
let labels: Map<number, string>;

async function writePage(trace: string, out: string): Promise<void> {
  const a = await Analysis.open(trace);
  try {
    const p = await buildViewerPage(a, trace);
    writeFileSync(out, p.chunks.join(''));
  } finally {
    a.close();
  }
}

beforeAll(async () => {
  const race = golden('signal-race-seed1-hang.l4t');
  await writePage(race, join(dir, 'race.html'));
  await writePage(golden('rec-O2.l4t'), join(dir, 'rec.html'));
  const a = await Analysis.open(race);
  try {
    kick = Number(await a.scalar(`SELECT ts_send FROM ipc WHERE kind = 'send' AND result_name = 'SETIMEOUT'`));
    endTime = Number(await a.scalar(`SELECT value FROM metadata WHERE key = 'end_time'`));
    labels = new Map((await a.query(`SELECT utid, label FROM thread_label`)).rows.map((r) => [Number(r.utid), String(r.label)]));
  } finally {
    a.close();
  }
  await session.start();
}, 120_000);

afterAll(async () => {
  await session.stop();
});

describe('the viewer, last mile', () => {
  it('has a legend naming the slice categories, thread states and message styles', async () => {
    const v = await session.open(join(dir, 'race.html'));
    const legend = await v.page.evaluate(() => {
      const el = document.getElementById('legend')!;
      const groups = [...el.querySelectorAll<HTMLElement>('.group')].map((g) => ({ group: g.dataset.group, items: [...g.querySelectorAll('.item .label')].map((i) => i.textContent) }));
      const box = el.getBoundingClientRect();
      return { groups, visible: !el.hidden && box.height > 0 };
    });
    expect(legend.visible).toBe(true);
    const items = (g: string): string[] => legend.groups.find((x) => x.group === g)!.items.map(String);
    expect(items('slices').join(' | ')).toMatch(/func/);
    expect(items('slices')).toEqual(expect.arrayContaining(['ipc:call', 'ipc:send', 'ipc:reply_wait', 'pf (page fault)']));
    expect(items('thread states')).toEqual(['running', 'ready', 'receiving', 'sending', 'blocked']);
    expect(items('messages')).toEqual(['received', 'not received (error)', 'no result yet']);
    expect(items('signals')).toEqual(['delivered', 'ignored', 'never delivered']);
    await v.page.keyboard.press('l');
    expect(await v.page.evaluate(() => document.getElementById('legend')!.hidden)).toBe(true);
    expect(v.errors).toEqual([]);
    expect(v.requests).toEqual([]);
  });

  it('Esc closes the key list (and only then clears the selection)', async () => {
    const v = await session.open(join(dir, 'race.html'));
    await v.page.focus('#timeline');
    await v.page.evaluate(() => window.__viewerTest!.select('signal', 0));
    await v.page.keyboard.press('?');
    expect(await v.page.evaluate(() => document.getElementById('help')!.hidden)).toBe(false);
    await v.page.keyboard.press('Escape');
    expect(await v.page.evaluate(() => ({ help: document.getElementById('help')!.hidden, sel: window.__viewerTest!.selection?.kind ?? null }))).toEqual({ help: true, sel: 'signal' });
    await v.page.keyboard.press('Escape');
    expect(await v.page.evaluate(() => window.__viewerTest!.selection)).toBeNull();
    // From the search box too.
    await v.page.click('#helpbtn');
    await v.page.focus('#search');
    await v.page.keyboard.press('Escape');
    expect(await v.page.evaluate(() => document.getElementById('help')!.hidden)).toBe(true);
    expect(v.errors).toEqual([]);
  });

  it("the function profile's bars have height (a short profile too)", async () => {
    for (const name of ['race.html', 'rec.html']) {
      const v = await session.open(join(dir, name));
      await v.page.keyboard.press('p');
      await v.page.waitForFunction(() => window.__viewerTest!.panelMarks > 0);
      const bars = await v.page.evaluate(() => {
        const svg = document.querySelector('#panels section svg')!;
        return [...svg.querySelectorAll('rect')].map((r) => r.getBoundingClientRect()).map((b) => ({ w: b.width, h: b.height }));
      });
      expect(bars.length, name).toBeGreaterThan(0);
      for (const b of bars) expect(b.h, name).toBeGreaterThanOrEqual(4);
      expect(bars.some((b) => b.w > 0), name).toBe(true);
      expect(v.errors).toEqual([]);
    }
  });

  it("the ruler's labels stay inside the canvas, the right-most too, at every zoom", async () => {
    const v = await session.open(join(dir, 'race.html'));
    for (const [t0, t1] of [[0, endTime], [100_000, 112_345], [107_000, 107_777], [0, 12_345]]) {
      const r = await v.page.evaluate(([a, b]) => {
        const t = window.__viewerTest!;
        t.setView(a!, b!);
        t.drawNow();
        return { ticks: t.ruler(), width: (document.getElementById('cmain') as HTMLCanvasElement).getBoundingClientRect().width };
      }, [t0, t1]);
      expect(r.ticks.length).toBeGreaterThan(1);
      for (const k of r.ticks) expect(k.right, `${k.cycles} in ${t0}..${t1}`).toBeLessThanOrEqual(r.width);
      for (let i = 1; i < r.ticks.length; i++) expect(r.ticks[i]!.left).toBeGreaterThan(r.ticks[i - 1]!.right);
    }
  });

  it('opens on the lost kick (a window narrower than the run); 0 shows the whole run, 1 goes back', async () => {
    const v = await session.open(join(dir, 'race.html'));
    const first = await v.page.evaluate(() => ({ view: { ...window.__viewerTest!.view }, focus: window.__viewerTest!.focus, text: document.getElementById('focus')!.textContent }));
    expect(first.focus).not.toBeNull();
    expect(first.view.t0).toBeLessThanOrEqual(kick);
    expect(first.view.t1).toBeGreaterThanOrEqual(kick);
    expect(first.view.t1 - first.view.t0).toBeLessThan(endTime / 10);
    expect(first.text).toMatch(/first failed message \(send, SETIMEOUT\).*0 whole run/);
    await v.page.focus('#timeline');
    await v.page.keyboard.press('0');
    const whole = await v.page.evaluate(() => ({ ...window.__viewerTest!.view }));
    expect(whole.t0).toBeLessThanOrEqual(0);
    expect(whole.t1).toBeGreaterThanOrEqual(endTime);
    await v.page.keyboard.press('1');
    const back = await v.page.evaluate(() => ({ ...window.__viewerTest!.view }));
    expect(back.t0).toBeCloseTo(first.view.t0, 3);
    expect(back.t1).toBeCloseTo(first.view.t1, 3);
    // A short run with nothing failed and few messages opens whole.
    const rec = await session.open(join(dir, 'rec.html'));
    expect(await rec.page.evaluate(() => window.__viewerTest!.focus)).toBeNull();
  });

  it('names a thread the same way in the track list, its details and SQL (thread_label)', async () => {
    const v = await session.open(join(dir, 'race.html'));
    const threads = await v.page.evaluate(() => window.__viewerTest!.tracks.filter((t) => t.kind === 'thread').map((t) => ({ utid: t.key, label: t.label })));
    expect(threads.length).toBeGreaterThan(3);
    for (const t of threads) expect(t.label).toBe(labels.get(t.utid));
    const sigrace = threads.find((t) => /^sigrace \[1\] /.test(t.label))!;
    expect(sigrace.label).toMatch(/^sigrace \[1\] [0-9a-f]+\.[0-9a-f]+v\d+$/);
    const details = await v.page.evaluate((u) => {
      const t = window.__viewerTest!;
      t.select('thread', u);
      return { title: document.querySelector('#details h3')?.textContent, text: t.detailsText() };
    }, sigrace.utid);
    expect(details.title).toBe(sigrace.label);
    expect(details.text).toContain(`${sigrace.label} (utid ${sigrace.utid})`);
  });
});
