/**
 * Summary panels drawn with Observable Plot from rows the generator aggregated (each chart stays under a
 * few thousand marks): the function profile, the IPC matrix as a heatmap, the interrupt latency
 * histogram and each thread's state over time (the same states and colours as the timeline's state
 * band). Built the first time the panels are opened.
 */
import * as Plot from '@observablehq/plot';
import type { ThreadStateCell, ViewerPanels } from '../model';
import { STATES, STATE_COLOUR } from './states';

export function renderPanels(el: HTMLElement, panels: ViewerPanels, cyclesPerUs: number): number {
  el.replaceChildren();
  let marks = 0;
  // Two charts side by side, drawn at the width they get (Plot's SVGs would otherwise shrink their text).
  const width = Math.max(380, Math.floor((el.clientWidth - 50) / 2));
  const add = (title: string, chart: (Element & { querySelectorAll: Element['querySelectorAll'] }) | null, empty: string): void => {
    const box = document.createElement('section');
    const h = document.createElement('h4');
    h.textContent = title;
    box.append(h);
    if (chart) {
      box.append(chart);
      marks += chart.querySelectorAll('rect, path, circle, line').length;
    } else {
      const p = document.createElement('p');
      p.className = 'muted';
      p.textContent = empty;
      box.append(p);
    }
    el.append(box);
  };

  const profile = panels.profile.slice(0, 30);
  const long = profile.flatMap((r) => [
    { name: r.name, kind: 'inclusive', us: r.incl / cyclesPerUs, calls: r.calls },
    { name: r.name, kind: 'exclusive', us: r.excl / cyclesPerUs, calls: r.calls },
  ]);
  add(
    'function profile (µs, inclusive and exclusive; top 30 by inclusive)',
    profile.length
      ? Plot.plot({
          width,
          marginLeft: 150,
          // Room for the axis and the legend above the bands: each band 20 px, whatever the row count
          // (a height that counted only the bands left a short profile with zero-height bars).
          marginTop: 10,
          marginBottom: 36,
          height: 46 + profile.length * 20,
          x: { label: 'µs', grid: true },
          y: { label: null, domain: profile.map((r) => r.name) },
          color: { domain: ['inclusive', 'exclusive'], range: ['#93c5fd', '#1d4ed8'], legend: true },
          marks: [
            Plot.barX(long.filter((d) => d.kind === 'inclusive'), { x: 'us', y: 'name', fill: 'kind', title: (d: { name: string; us: number; calls: number }) => `${d.name}: ${d.us.toFixed(1)} µs inclusive, ${d.calls} calls` }),
            Plot.barX(long.filter((d) => d.kind === 'exclusive'), { x: 'us', y: 'name', fill: 'kind', insetTop: 5, insetBottom: 5, title: (d: { name: string; us: number }) => `${d.name}: ${d.us.toFixed(1)} µs exclusive` }),
          ],
        })
      : null,
    'no function events in this window',
  );

  add(
    'IPC matrix (messages, sender task → receiver task)',
    panels.matrix.length
      ? Plot.plot({
          width,
          marginLeft: 140,
          marginBottom: 90,
          x: { label: 'receiver', tickRotate: -35 },
          y: { label: 'sender' },
          color: { type: 'log', scheme: 'blues', legend: true, label: 'messages' },
          marks: [
            Plot.cell(panels.matrix, { x: 'receiver', y: 'sender', fill: 'msgs', title: (d: { sender: string; receiver: string; msgs: number; bytes: number }) => `${d.sender} → ${d.receiver}: ${d.msgs} messages, ${d.bytes} bytes` }),
            Plot.text(panels.matrix.length <= 400 ? panels.matrix : [], { x: 'receiver', y: 'sender', text: 'msgs', fill: 'black', fontSize: 9 }),
          ],
        })
      : null,
    'no IPC in this window',
  );

  add(
    'interrupt latency (raise to delivery, cycles, log bins)',
    panels.irqLatency.length
      ? Plot.plot({
          width,
          height: 260,
          x: { type: 'log', label: 'latency + 1 (cycles)' },
          y: { label: 'interrupts', grid: true },
          marks: [Plot.rectY(panels.irqLatency, { x1: (d: { x0: number }) => d.x0 + 1, x2: (d: { x1: number }) => d.x1 + 1, y: 'count', fill: '#7c3aed', title: (d: { x0: number; x1: number; count: number }) => `${d.count} with latency ${d.x0}..${d.x1} cycles` }), Plot.ruleY([0])],
        })
      : null,
    'no delivered interrupts in this window',
  );

  add(
    'thread states over time (the state each thread spent most of each bucket in)',
    panels.threadStates.length
      ? Plot.plot({
          width,
          marginLeft: 170,
          height: 50 + new Set(panels.threadStates.map((d) => d.thread)).size * 14,
          x: { label: 'µs', transform: (c: number) => c / cyclesPerUs },
          y: { label: null, domain: [...new Set(panels.threadStates.map((d) => d.thread))] },
          color: { domain: [...STATES], range: STATES.map((k) => STATE_COLOUR[k]), legend: true, label: 'state' },
          marks: [Plot.barX(panels.threadStates, { x1: 't0', x2: 't1', y: 'thread', fill: 'state', title: (d: ThreadStateCell) => `${d.thread}: ${d.detail}` })],
        })
      : null,
    'no scheduling in this window',
  );
  return marks;
}
