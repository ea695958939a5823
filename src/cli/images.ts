/**
 * `l4trace images FILE -o DIR`: the ELF programs a trace embeds, as files a debugger can load for
 * symbols (`gdb DIR/prog`); what they are and how they are named: replay/images.ts. Two programs of the
 * same name get their content hash appended.
 */
import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { checkOutputPath, ensureOutputFolder, writeBytesAtomic } from '../../tracer/atomic-output.js';
import { imagesOf, safeFileName, type ExtractedImage } from '../../replay/images.js';
import { openTrace, SALVAGE_HELP, withTrace } from './open-trace.js';
import { refuseStdio } from './stdio.js';
import { fmtInt, guardStdoutPipe, Out, table } from './output.js';

export function register(program: Command): void {
  program
    .command('images')
    .description('write the ELF programs a trace embeds (guest images, and the root file system programs the run executed) into a folder, for a debugger\'s symbols')
    .argument('<file>', 'trace file (.l4t; - reads it from stdin)')
    .requiredOption('-o, --out <dir>', 'folder to write them into (made if missing)')
    .option('--json', 'print one JSON object')
    .option('--salvage', SALVAGE_HELP)
    .addHelpText('after', '\nExample:\n  npx l4trace images race.l4t -o race-images && gdb race-images/sigrace')
    .action((file: string, opts: { out: string; json?: boolean; salvage?: boolean }) => {
      guardStdoutPipe();
      refuseStdio('-o', opts.out, 'images are written as files into a folder; give a folder name');
      checkOutputPath(opts.out, { kind: 'folder', inputs: [file] });
      const reader = openTrace(file, { salvage: opts.salvage ?? false });
      const images = withTrace(file, reader, () => imagesOf(reader));
      reader.close();
      ensureOutputFolder(opts.out);
      const written: ExtractedImage[] = [];
      const taken = new Set<string>();
      for (const img of images) {
        const sha256 = createHash('sha256').update(img.data).digest('hex');
        let name = safeFileName(img.name);
        if (taken.has(name)) name = `${name}-${sha256.slice(0, 12)}`;
        if (taken.has(name)) continue; // the same program twice
        taken.add(name);
        writeBytesAtomic(join(opts.out, name), img.data);
        written.push({ file: name, source: img.source, bytes: img.data.length, sha256 });
      }
      const out = new Out();
      if (opts.json) {
        out.line(JSON.stringify({ file, out: opts.out, images: written }));
      } else if (written.length === 0) {
        out.line(`${file}: no ELF programs embedded (a scenario of model code only)`);
      } else {
        const rows = [['file', 'bytes', 'from']];
        for (const w of written) rows.push([join(opts.out, w.file), fmtInt(w.bytes), w.source]);
        for (const line of table(rows, new Set([1]))) out.line(line);
        out.line(`symbols for gdb: gdb ${join(opts.out, written[0]!.file)}`);
      }
      out.flush();
    });
}
