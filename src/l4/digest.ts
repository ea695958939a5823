/**
 * The machine-state digest written in the footer and compared by replay: one sha256 per component
 * (clocks, threads, tasks and page tables, memory contents, interrupts, counters), so a difference can
 * be localised to the component that differs.
 */
import { createHash } from 'node:crypto';
import { PAGE_SIZE } from '../ia32/memory.js';
import type { Kernel } from './kernel.js';

export interface DigestPart {
  name: string;
  digest: Uint8Array;
}

function sha(update: (h: ReturnType<typeof createHash>) => void): Uint8Array {
  const h = createHash('sha256');
  update(h);
  return h.digest();
}

export function machineDigest(k: Kernel): { digest: Uint8Array; parts: DigestPart[] } {
  const parts: DigestPart[] = [
    { name: 'clocks', digest: sha((h) => h.update(k.cpus.map((c) => `${c.id}:${c.time}:${c.current?.gid ?? '-'}`).join(','))) },
    {
      name: 'threads',
      digest: sha((h) => {
        for (const t of [...k.threads.values()].sort((a, b) => a.gid - b.gid)) {
          const c = t.active;
          h.update(`${t.gid}|${t.state}|${t.prio}|${t.sliceLeft}|${t.pager}|${c ? `${c.kind}:${c.phase}:${c.partner?.gid ?? 0}` : '-'}|${t.senderQueue.map((s) => s.gid).join('.')}|${t.engine.stateDigest()}${t.segs.digest()}${t.fpu.digest()}\n`);
        }
      }),
    },
    {
      name: 'tasks',
      digest: sha((h) => {
        for (const task of k.tasks) {
          if (!task || !task.alive) continue;
          h.update(`task ${task.no} v${task.version} chief ${task.chief}\n`);
          for (const [vpn, frame, rights] of task.space.pages.entries()) h.update(`${vpn}:${frame}:${rights},`);
        }
      }),
    },
    {
      name: 'memory',
      digest: sha((h) => {
        const touched = k.mem.touched;
        for (let f = 0; f < touched.length; f++) {
          if (touched[f]) {
            h.update(`${f}:`);
            h.update(k.mem.bytes.subarray(f * PAGE_SIZE, (f + 1) * PAGE_SIZE));
          }
        }
      }),
    },
    { name: 'irqs', digest: sha((h) => h.update([...k.irqs.values()].map((l) => `${l.n}:${l.handler?.gid ?? 0}:${l.masked}:${l.pending}:${l.coalesced}`).join(','))) },
    { name: 'counters', digest: sha((h) => h.update(JSON.stringify(k.counters))) },
  ];
  const digest = sha((h) => {
    for (const p of parts) h.update(p.digest);
  });
  return { digest, parts };
}
