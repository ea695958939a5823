/**
 * Colours that must read apart: the IPC operations (call, send, reply_wait, receive, wait) each have
 * their own, and none of them is a function's or a page fault's.
 */
import { describe, expect, it } from 'vitest';
import { CATEGORY_COLOR, sliceColour } from '../../viewer/app/format.js';
import { STATE_COLOUR, STATES } from '../../viewer/app/states.js';

describe('colours', () => {
  it('call, send, reply_wait, receive and wait are distinguishable', () => {
    const ops = ['ipc:call', 'ipc:send', 'ipc:reply_wait', 'ipc:receive', 'ipc:wait'].map(sliceColour);
    expect(new Set(ops).size).toBe(ops.length);
    expect(ops).not.toContain(CATEGORY_COLOR.pf);
    expect(sliceColour('page fault')).toBe(CATEGORY_COLOR.pf);
    expect(sliceColour('main')).toMatch(/^hsl\(/);
  });

  it('every thread state has its own colour', () => {
    expect(new Set(STATES.map((s) => STATE_COLOUR[s])).size).toBe(STATES.length);
  });
});
