/// <reference lib="dom" />
/**
 * The message layer in the browser: past MAX_ARROWS messages in view the arrows are bundled (per
 * thread pair and time bucket), a failed send stays drawn (red, crossed out, labelled) at every zoom,
 * a selected slice shows only its own messages, and a trace cut short shows the messages in flight at
 * the cut as such, not as failures.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kind, makeGid } from '../../tracer/catalogue.js';
import { emptyHeader, Outcome, ThreadKind } from '../../tracer/packets.js';
import { MemorySink } from '../../tracer/sink.js';
import { Tracer } from '../../tracer/tracer.js';
import { MAX_ARROWS } from '../../viewer/app/arrows.js';
import { BrowserSession, reddest } from '../support/browser.js';
import { runCli, tempDir } from '../support/cli.js';

const dir = tempDir('l4trace-viewer-msg-');
const ROUNDS = 1500; // two messages a round: 3,000 in all, past MAX_ARROWS in most of the run
const SETIMEOUT = 0x30;

/**
 * A client calling a server ROUNDS times (call, then the server's reply as a send), and in the middle a
 * third thread's send to a fourth that times out: nobody receives it. Returns the failed send's time.
 */
function ipcTrace(path: string): { kick: number; end: number } {
  const sink = new MemorySink();
  const tracer = new Tracer(sink, { ...emptyHeader(), toolVersion: 'test', scenarioName: 'ipc-many', synthetic: true, cyclesPerUs: 200 });
  const gid = (task: number): number => makeGid(task, 0, 1);
  const thread = (task: number, name: string) => tracer.addThread({ l4Id: gid(task), name, task, lthread: 0, version: 1, kind: ThreadKind.SYNTHETIC, cpu: 0, priority: 100, taskName: name });
  const client = thread(16, 'client');
  const server = thread(17, 'server');
  const kicker = thread(18, 'kicker');
  const victim = thread(19, 'victim');
  let t = 1000;
  let kick = 0;
  victim.emit(Kind.IPC, 500, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0); // waits forever
  for (let r = 0; r < ROUNDS; r++) {
    const wait = server.emit(Kind.IPC, t, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    client.emit(Kind.CONTEXT_SWITCH, t + 10, 0, gid(16), 3, 1, 100, 100);
    const call = client.emit(Kind.IPC, t + 20, 4, gid(17), 0, 0, 0, r, 0, 0, 1, 0);
    server.emit(Kind.CONTEXT_SWITCH, t + 30, 0, gid(17), 3, 3, 100, 100);
    server.emit(Kind.IPC_RES, t + 40, wait, call, 0, gid(16), r, 0, 0, 1);
    const reply = server.emit(Kind.IPC, t + 200, 1, gid(16), 0, 0, 0, r + 1, 0, 0, 1, 0);
    server.emit(Kind.IPC_RES, t + 210, reply, -1, 0, 0, 0, 0, 0, 0);
    client.emit(Kind.IPC_RES, t + 220, call, reply, 0, gid(17), r + 1, 0, 0, 1);
    if (r === ROUNDS / 2) {
      kick = t + 250;
      const send = kicker.emit(Kind.IPC, kick, 1, gid(19), 0, 0, 0, 0x4b49434b, 0, 0, 1, 0);
      kicker.emit(Kind.IPC_RES, kick + 5000, send, -1, SETIMEOUT, 0, 0, 0, 0, 0);
    }
    t += 1000;
  }
  tracer.finish({ outcome: Outcome.OK, endTime: t });
  writeFileSync(path, sink.bytes());
  return { kick, end: t };
}

const session = new BrowserSession();
/** Open a page on the whole run (a page opens on its densest IPC window: the whole run is `0` away). */
const load = async (file: string) => {
  const v = await session.open(file);
  await v.page.keyboard.press('0');
  await v.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  return v;
};
let kick = 0;
let end = 0;

beforeAll(async () => {
  ({ kick, end } = ipcTrace(join(dir, 'many.l4t')));
  expect(runCli(['view', join(dir, 'many.l4t'), '-o', join(dir, 'many.html')]).code).toBe(0);
  // The signal race cut short: the trace stops in the middle of the run (no footer). The cut is counted
  // from the end, so the header (which embeds the program) may grow.
  const race = readFileSync(fileURLToPath(new URL('../../traces/signal-race-seed1-hang.l4t', import.meta.url)));
  writeFileSync(join(dir, 'cut.l4t'), race.subarray(0, race.length - 4360));
  const c = runCli(['view', join(dir, 'cut.l4t'), '-o', join(dir, 'cut.html')]);
  expect(c.code, c.stderr).toBe(0);
  await session.start();
}, 120_000);

afterAll(async () => {
  await session.stop();
});


describe('many messages', () => {
  it('are bundled past MAX_ARROWS in view, and the failed send stays drawn, red, at every zoom', async () => {
    const v = await load(join(dir, 'many.html'));
    const whole = await v.page.evaluate(() => window.__viewerTest!.drawNow());
    expect(whole.arrows).toBeGreaterThan(MAX_ARROWS);
    expect(whole.bundled).toBe(true);
    expect(whole.bundles).toBeGreaterThan(0);
    // Bundles stand for the messages: far fewer arrows than messages.
    expect(whole.bundles).toBeLessThan(whole.arrows / 10);
    const failed = whole.failedIpc.filter((f) => f.kind === 'failed');
    expect(failed).toEqual([expect.objectContaining({ sender: expect.stringMatching(/^kicker /), dest: expect.stringMatching(/^victim /), count: 1, label: 'send not received: SETIMEOUT' })]);
    const [r, g, b] = await reddest(v, failed[0]!.x, failed[0]!.y);
    expect(r).toBeGreaterThan(150);
    expect(g + b).toBeLessThan(120);
    // Zoomed in around the kick: a few messages, drawn one by one; the failed send still there.
    for (const span of [200_000, 20_000, 3_000]) {
      const f = await v.page.evaluate(([k, s]) => {
        const t = window.__viewerTest!;
        t.setView(k! - s! / 2, k! + s! / 2);
        return t.drawNow();
      }, [kick, span]);
      expect(f.failedIpc.filter((x) => x.kind === 'failed'), `span ${span}`).toHaveLength(1);
      if (span <= 200_000) expect(f.bundled).toBe(false);
    }
    // Panning across the whole run bundled, the failed send is never lost while its time is in view.
    for (let i = 0; i < 10; i++) {
      const f = await v.page.evaluate(([k, e, j]) => {
        const t = window.__viewerTest!;
        const s = e! * 0.9;
        const t0 = k! - s / 2 + (j! - 5) * 0.01 * e!;
        t.setView(t0, t0 + s);
        return t.drawNow();
      }, [kick, end, i]);
      expect(f.bundled).toBe(true);
      expect(f.failedIpc.filter((x) => x.kind === 'failed')).toHaveLength(1);
    }
    expect(v.errors).toEqual([]);
  });

  it('the frame counts every message in view, bundled or not', async () => {
    const v = await load(join(dir, 'many.html'));
    const r = await v.page.evaluate(() => {
      const t = window.__viewerTest!;
      t.setView(0, t.view.t1);
      const f = t.drawNow();
      return { arrows: f.arrows, bundles: f.bundles };
    });
    // Every message of the run is in view: 2 per round, plus the failed send.
    expect(r.arrows).toBe(2 * ROUNDS + 1);
  });

  it('a selected slice shows only its own messages', async () => {
    const v = await load(join(dir, 'many.html'));
    const all = await v.page.evaluate((k) => {
      const t = window.__viewerTest!;
      t.setView(k - 3000, k + 3000);
      return t.drawNow().arrows;
    }, kick);
    expect(all).toBeGreaterThan(2);
    // Click the client's ipc:call just before the kick: its call went out, and the reply came back in it.
    const target = await v.page.evaluate((k) => {
      const t = window.__viewerTest!;
      t.setView(k - 3000, k + 3000);
      t.drawNow();
      const client = t.tracks.find((x) => x.kind === 'thread' && x.label.startsWith('client'))!;
      return { x: t.x(k - 250 + 100), y: t.trackY('depth', client.key, 0)! + 6 };
    }, kick);
    const box = (await v.page.locator('#timeline').boundingBox())!;
    await v.page.mouse.click(box.x + target.x, box.y + target.y);
    const after = await v.page.evaluate(() => {
      const t = window.__viewerTest!;
      return { sel: t.selection, details: t.detailsText(), frame: t.drawNow() };
    });
    expect(after.sel?.kind).toBe('slice');
    expect(after.details).toMatch(/^ipc:call/);
    // Its own messages: the call it sent and the reply it received. Nothing else in view is drawn.
    expect(after.frame.arrows).toBe(2);
    expect(after.frame.failedIpc).toEqual([]);
    expect(v.errors).toEqual([]);
  });
});

describe('a trace cut short', () => {
  it('shows messages in flight at the cut as such (not red failures), and results say why they are missing', async () => {
    const v = await load(join(dir, 'cut.html'));
    const f = await v.page.evaluate(() => window.__viewerTest!.drawNow());
    expect(f.failedIpc.filter((x) => x.kind === 'failed')).toEqual([]);
    // sigma0's reply_wait was sent before the cut and received after it.
    expect(f.failedIpc.filter((x) => x.kind === 'pending')).toEqual([expect.objectContaining({ sender: expect.stringMatching(/^sigma0 /), label: 'reply_wait in flight when the trace was cut' })]);
    // Every message's details name a result: nothing is left blank.
    const blanks = await v.page.evaluate(() => {
      const t = window.__viewerTest!;
      const out: string[] = [];
      for (let i = 0; ; i++) {
        t.select('ipc', i);
        if (!t.selection) break;
        const m = /result(.*?)label/.exec(t.detailsText());
        if (!m || !m[1]!.trim()) out.push(t.detailsText());
      }
      return out;
    });
    expect(blanks).toEqual([]);
    expect(v.errors).toEqual([]);
  });
});
