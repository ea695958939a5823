/**
 * The terminal: keyboard bytes arrive from an interrupt's top half, are echoed to the console and
 * queued for readers (canonical mode: a read returns a line). ^C sends SIGINT to the foreground
 * process group (init's group: there is no job control), ^D ends the input.
 */
import { SIG } from './abi.js';
import { work, type LxGen } from './coroutine.js';
import type { Linux } from './linux.js';
import { sendToGroup } from './signals.js';

/** A keyboard controller: its interrupt line and the bytes waiting in it. */
export interface Keyboard {
  irq: number;
  /** Take the bytes that arrived (the interrupt handler reads the controller). */
  read(): number[];
}

/** A keyboard device fed by the scenario: bytes become readable when their interrupt is raised. */
export class ScriptedKeyboard implements Keyboard {
  private readonly buffer: number[] = [];
  constructor(readonly irq = 1) {}

  /** The device received a byte (called when its interrupt is raised). */
  push(byte: number): void {
    this.buffer.push(byte);
  }

  read(): number[] {
    return this.buffer.splice(0);
  }
}

export const CTRL_C = 3;
export const CTRL_D = 4;

export function* ttyInput(lx: Linux, bytes: number[]): LxGen {
  for (const b of bytes) {
    if (b === CTRL_C) {
      lx.writeConsole(1, new TextEncoder().encode('^C\n'));
      lx.console.input.length = 0;
      if (lx.init) yield* sendToGroup(lx, lx.init.group.pgrp, SIG.INT, 0);
      continue;
    }
    if (b === CTRL_D) {
      lx.console.eof = true;
      continue;
    }
    lx.writeConsole(1, new Uint8Array([b]));
    lx.console.input.push(b);
  }
  yield* work(bytes.length * lx.costs.copyPerByte);
  lx.wakeAll(lx.console.readWait);
}
