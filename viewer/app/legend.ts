/**
 * The legend bar under the top bar: what the colours and marks of the timeline mean, from the same
 * constants the drawing uses: slice categories (functions by name, each IPC operation, page faults, an
 * unfinished call's red edge), thread states (the band under each thread's name), messages and signals.
 * Built with textContent only (nothing from a trace goes into it). `L` or the legend button hides it.
 */
import { BAD, CATEGORY_COLOR, GOOD, IPC_COLOR, colorFor } from './format';
import { PENDING } from './arrows';
import { STATES, STATE_COLOUR } from './states';

/** The IPC operations the legend names (the common ones; the rest have their own colour too). */
const IPC_SHOWN = ['ipc:call', 'ipc:send', 'ipc:reply_wait', 'ipc:receive', 'ipc:wait'];

type Item = { label: string; colour: string; mark?: 'box' | 'line' | 'dash' | 'cross' | 'circle' | 'triangle' | 'edge' | 'hues' };

export const LEGEND: { group: string; items: Item[] }[] = [
  {
    group: 'slices',
    items: [
      { label: 'func (one colour per function)', colour: colorFor('main'), mark: 'hues' },
      ...IPC_SHOWN.map((n) => ({ label: n, colour: IPC_COLOR[n] ?? CATEGORY_COLOR.ipc! })),
      { label: 'pf (page fault)', colour: CATEGORY_COLOR.pf! },
      { label: 'unfinished at the end', colour: BAD, mark: 'edge' },
    ],
  },
  { group: 'thread states', items: STATES.map((s) => ({ label: s, colour: STATE_COLOUR[s] })) },
  {
    group: 'messages',
    items: [
      { label: 'received', colour: '#1d4ed8', mark: 'line' },
      { label: 'not received (error)', colour: BAD, mark: 'cross' },
      { label: 'no result yet', colour: PENDING, mark: 'circle' },
    ],
  },
  {
    group: 'signals',
    items: [
      { label: 'delivered', colour: GOOD, mark: 'triangle' },
      { label: 'ignored', colour: '#6b7280', mark: 'triangle' },
      { label: 'never delivered', colour: BAD, mark: 'triangle' },
    ],
  },
];

function swatch(item: Item): HTMLElement {
  const sw = document.createElement('span');
  sw.className = `sw ${item.mark ?? 'box'}`;
  if (item.mark === 'hues') sw.style.background = `linear-gradient(90deg, ${colorFor('main')}, ${colorFor('fib')}, ${colorFor('sys_write')})`;
  else if (item.mark === 'cross') sw.textContent = '\u00d7';
  else if (item.mark === 'circle') sw.textContent = '\u25cb';
  else if (item.mark === 'triangle') sw.textContent = '\u25bc';
  if (item.mark === 'cross' || item.mark === 'circle' || item.mark === 'triangle') sw.style.color = item.colour;
  else if (item.mark === 'edge') sw.style.borderRight = `3px solid ${item.colour}`;
  else if (item.mark !== 'hues') sw.style.background = item.colour;
  return sw;
}

export function renderLegend(el: HTMLElement): void {
  el.replaceChildren();
  for (const g of LEGEND) {
    const group = document.createElement('span');
    group.className = 'group';
    group.dataset.group = g.group;
    const title = document.createElement('b');
    title.textContent = `${g.group}:`;
    group.append(title);
    for (const item of g.items) {
      const it = document.createElement('span');
      it.className = 'item';
      const label = document.createElement('span');
      label.className = 'label';
      label.textContent = item.label;
      it.append(swatch(item), label);
      group.append(it);
    }
    el.append(group);
  }
}
