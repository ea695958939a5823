import type { Command } from 'commander';
import { describeLocation } from '../../tracer/errors.js';
import { summarize } from '../../tracer/summary.js';
import { UNIMPLEMENTED_SYSCALL_METRIC } from '../../tracer/syscall-names.js';
import { openTrace, withTrace } from './open-trace.js';
import { fmtInt, guardStdoutPipe, Out, table } from './output.js';

export function register(program: Command): void {
  program
    .command('info')
    .description('summarise a trace: header, threads, event counts per kind, losses, truncation, size; a damaged trace is summarised as far as it can be believed, its damage listed, and the exit code is 1')
    .argument('<file>', 'trace file (.l4t; - reads it from stdin)')
    .option('--json', 'print one JSON object: file, header fields, threads, kinds, losses, truncation, damage')
    .addHelpText('after', `
Examples:
  l4trace info race.l4t
  l4trace info race.l4t --json | jq .outcome
  l4trace record pingpong -o - | l4trace info -`)
    .action((file: string, opts: { json?: boolean }) => {
      guardStdoutPipe();
      // info shows what can be believed of a damaged file, lists the damage, and fails.
      const reader = openTrace(file, { salvage: true, quiet: true });
      const damage = reader.damage;
      const s = withTrace(file, reader, () => summarize(reader));
      reader.close();
      if (damage.length > 0) {
        const d = damage[0]!;
        const more = damage.length > 1 ? ` (and ${damage.length - 1} more problem${damage.length > 2 ? 's' : ''}, listed below)` : '';
        process.stderr.write(`l4trace: ${file}: damaged${describeLocation(d)}: ${d.reason}${more}\n`);
        process.exitCode = 1;
      }
      if (s.hashes === 'mismatch') {
        // The file reads, but some thread's chunks are not the bytes that were recorded: say so and fail.
        process.stderr.write(`l4trace: ${file}: hash chains mismatch: event data was changed after recording (the file is damaged)\n`);
        process.exitCode = 1;
      }
      const out = new Out();
      if (opts.json) {
        out.line(JSON.stringify({ file, ...s, damage }));
        out.flush();
        return;
      }
      const origin = s.synthetic ? 'synthetic stream (not a machine run)' : `scenario ${s.scenario}`;
      out.line(`trace      ${file}  ${fmtInt(s.bytes)} bytes, ${damage.length ? `DAMAGED (${damage.length} problem${damage.length === 1 ? '' : 's'}; below: what could be believed)` : s.truncated ? 'CUT SHORT' : 'complete, every packet and the file digest check'}`);
      out.line(`format     v${s.formatVersion}, written by l4trace ${s.toolVersion}, machine v${s.machineVersion}${s.quirks.length ? `, quirks ${s.quirks.join(',')}` : ''}`);
      out.line(`run        ${origin}, flavour ${s.flavour || '-'}, ${s.cpus} cpu, seed ${s.seed}, entropy ${s.entropy}${s.filtered ? ', filtered' : ''}`);
      const end = s.endTime === null ? '' : ` at cycle ${fmtInt(s.endTime)}${s.cyclesPerUs ? ` (${(s.endTime / s.cyclesPerUs).toFixed(1)} us)` : ''}`;
      out.line(`outcome    ${s.outcome ?? 'unknown (no footer)'}${end}${s.outcomeDetail ? ` - ${s.outcomeDetail}` : ''}`);
      if (s.truncated) out.line(`truncated  at byte ${fmtInt(s.truncated.offset)}: ${s.truncated.reason}`);
      for (const d of damage) out.line(`damaged    ${d.packet !== undefined ? `packet #${d.packet}` : 'a packet'}${d.offset !== undefined ? ` at byte ${fmtInt(d.offset)}` : ''}: ${d.reason}; dropped ${d.dropped}`);
      out.line(`events     ${fmtInt(s.events)} in file, ${s.bytesPerEvent.toFixed(2)} bytes/event (${s.chunkBytesPerEvent.toFixed(2)} in event chunks)`);
      out.line(`losses     ${fmtInt(s.losses.events)} events in ${fmtInt(s.losses.chunks)} chunks${s.losses.unmatchedExits ? `, ${s.losses.unmatchedExits} unmatched function exits` : ''}`);
      out.line(`tape       ${fmtInt(s.choices)} choices;  hash chains ${s.hashes}`);
      out.line(`ipc        ${fmtInt(s.ipcMessages)} messages sent (IPC operations with a send part; the analyzer's ipc rows)`);
      if (s.rootfs) {
        const r = s.rootfs;
        const links = r.hardLinks ? `, ${fmtInt(r.hardLinks)} of them hard links` : '';
        out.line(`rootfs     ${fmtInt(r.entries)} entries (${fmtInt(r.dirs)} directories, ${fmtInt(r.files)} files${links}, ${fmtInt(r.symlinks)} symlinks), ${fmtInt(r.contentBytes)} bytes of content; embedded: ${fmtInt(r.blobs)} file blobs, ${fmtInt(r.blobBytes)} bytes (the files the run read)`);
      }
      // Listed once, in their own section, not again among the results.
      const metrics = Object.entries(s.metrics).filter(([k]) => !k.startsWith(UNIMPLEMENTED_SYSCALL_METRIC));
      if (metrics.length) {
        out.line('results');
        for (const line of table(metrics.map(([k, m]) => ['  ' + k, m.value.toLocaleString('en-US', { maximumFractionDigits: 2 }), m.unit]), new Set([1]))) out.line(line);
      }
      if (s.unimplementedSyscalls.length) {
        out.line('unimplemented system calls (they returned ENOSYS)');
        for (const line of table(s.unimplementedSyscalls.map((u) => ['  ' + u.name, u.nr ?? '?', fmtInt(u.calls), u.calls === 1 ? 'call' : 'calls']), new Set([1, 2]))) out.line(line);
      }
      out.line(`threads    ${s.threads.length}`);
      const rows: (string | number)[][] = [['  #', 'name', 'task', 'l4 id', 'kind', 'pid', 'policy', 'events', 'lost']];
      for (const t of s.threads) rows.push(['  ' + t.index, t.name, t.task || '-', t.gid, t.kind, t.linuxPid || '-', t.policy, fmtInt(t.eventsInFile), fmtInt(t.eventsLost)]);
      for (const line of table(rows, new Set([7, 8]))) out.line(line);
      out.line('kinds');
      for (const line of table(Object.entries(s.kinds).map(([k, n]) => ['  ' + k, fmtInt(n)]), new Set([1]))) out.line(line);
      out.flush();
    });
}
