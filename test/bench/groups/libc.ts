/**
 * Unmodified Linux programs: guest MIPS of a glibc and a musl program (the committed glibc-basics and
 * musl-basics, static i386) and of a busybox pipeline on Debian's busybox-static (`npm run rootfs`;
 * skipped with a note when the rootfs tar is absent), each untraced and traced (every event encoded),
 * as init on L4Linux. Peer: the same glibc binary under qemu-i386 (user-mode emulation, no kernel
 * model), when the host has it: wall time, best of runs, and l4trace's ratio to it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NullRecorder } from '../../../tracer/recorder.js';
import { NullSink } from '../../../tracer/sink.js';
import { Tracer } from '../../../tracer/tracer.js';
import { emptyHeader } from '../../../tracer/packets.js';
import { guestBinDir, loadCommittedGuest } from '../../../src/guests/catalog.js';
import { resolveScenario } from '../../../src/scenarios/resolve.js';
import { runScenario } from '../../../src/session/machine.js';
import { BUSYBOX_TAR } from '../../../src/session/rootfs/default.js';
import { readRootFs } from '../../../src/session/rootfs/load.js';
import type { RootFsImage } from '../../../src/l4linux/vfs/rootfs-image.js';
import { RecordingChoices } from '../../../src/sim/choices.js';
import type { BenchGroup, Figure } from '../figure.js';

const REPEATS = 5;
/** A pipeline of busybox applets with real work in each stage. */
const PIPELINE = 'seq 1 3000 | sort -r | awk \'{s+=$1; printf "%d %.2f\\n", $1, s/NR}\' | md5sum; i=0; while [ $i -lt 300 ]; do i=$((i+1)); done; echo $i';

interface Run {
  instructions: number;
  ms: number;
  events: number;
}

function runOnce(params: Record<string, unknown>, images: Map<string, Uint8Array>, rootfs: RootFsImage | null, traced: boolean): Run {
  const spec = resolveScenario({ scenario: 'run', params }, 'bench');
  const tracer = traced ? new Tracer(new NullSink(), emptyHeader()) : null;
  const t0 = performance.now();
  const out = runScenario(spec, { recorder: tracer ?? new NullRecorder(), choices: new RecordingChoices(0, 'prng'), images, rootfs, console: () => {} });
  const ms = performance.now() - t0;
  if (out.stop.outcome !== 'ok') throw new Error(`bench run did not finish: ${out.stop.outcome}: ${out.stop.detail}`);
  return { instructions: out.kernel.counters.guestInstructions, ms, events: tracer?.nextSeq ?? 0 };
}

/** Best of REPEATS for both modes, interleaved. */
function bothModes(run: (traced: boolean) => Run): { off: Run; on: Run } {
  run(false);
  run(true);
  let off: Run | null = null;
  let on: Run | null = null;
  for (let i = 0; i < REPEATS; i++) {
    const a = run(false);
    const b = run(true);
    if (!off || a.ms < off.ms) off = a;
    if (!on || b.ms < on.ms) on = b;
  }
  return { off: off!, on: on! };
}

const mips = (r: Run): number => r.instructions / r.ms / 1000;

function figures(label: string, r: { off: Run; on: Run }): Figure[] {
  return [
    { name: `libc.${label}.instructions`, value: r.off.instructions, unit: 'instructions' },
    { name: `libc.${label}.events`, value: r.on.events, unit: 'events' },
    { name: `libc.${label}.machine_mips_tracing_off`, value: mips(r.off), unit: 'MIPS' },
    { name: `libc.${label}.machine_mips_tracing_on`, value: mips(r.on), unit: 'MIPS', vs: `libc.${label}.machine_mips_tracing_off`, ratio: mips(r.on) / mips(r.off) },
  ];
}

function guestFigures(name: string): { figures: Figure[]; ms: number } {
  const images = new Map([[name, loadCommittedGuest(name)]]);
  const r = bothModes((traced) => runOnce({ program: name }, images, null, traced));
  return { figures: figures(name, r), ms: r.off.ms };
}

/** The glibc guest natively under qemu-i386: the fastest of REPEATS runs, in ms; null without qemu. */
function qemuMs(name: string): number | null {
  if (spawnSync('qemu-i386', ['--version']).status !== 0) return null;
  const bin = join(guestBinDir(), name);
  let best = Infinity;
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    const r = spawnSync('qemu-i386', [bin], { stdio: 'ignore' });
    if (r.status !== 0) return null;
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

function busyboxFigures(): Figure[] {
  if (!existsSync(BUSYBOX_TAR)) {
    console.error(`bench libc: ${BUSYBOX_TAR} is absent (npm run rootfs): no busybox figures`);
    return [];
  }
  const { image } = readRootFs(BUSYBOX_TAR);
  const params = { program: 'sh', path: '/bin/sh', args: ['-c', PIPELINE], env: ['PATH=/bin'] };
  return figures('busybox_pipeline', bothModes((traced) => runOnce(params, new Map(), image, traced)));
}

export const libcGroup: BenchGroup = {
  name: 'libc',
  description: 'unmodified static i386 programs: glibc and musl guests, a busybox pipeline; MIPS traced and untraced; qemu-i386 as a peer',
  run(): Figure[] {
    const glibc = guestFigures('glibc-basics');
    const musl = guestFigures('musl-basics');
    const out = [...glibc.figures, ...musl.figures, ...busyboxFigures()];
    const qemu = qemuMs('glibc-basics');
    if (qemu !== null) {
      out.push({ name: 'libc.glibc-basics.qemu_i386_ms', value: qemu, unit: 'ms' });
      out.push({ name: 'libc.glibc-basics.l4trace_run_ms', value: glibc.ms, unit: 'ms', vs: 'libc.glibc-basics.qemu_i386_ms', ratio: glibc.ms / qemu });
    } else console.error('bench libc: qemu-i386 is absent: no peer figure');
    return out;
  },
};
