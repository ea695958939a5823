/** Small helpers for what commands print. */

/** Buffered stdout writer; a closed pipe (`| head`) ends the process quietly. */
export class Out {
  private parts: string[] = [];
  private size = 0;
  line(s = ''): void {
    this.parts.push(s, '\n');
    this.size += s.length + 1;
    if (this.size > 1 << 16) this.flush();
  }
  flush(): void {
    if (this.parts.length === 0) return;
    process.stdout.write(this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

let pipeGuard = false;
export function guardStdoutPipe(): void {
  if (pipeGuard) return;
  pipeGuard = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Left-aligned text table. */
export function table(rows: (string | number)[][], rightAlign: ReadonlySet<number> = new Set()): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, String(c).length)));
  return rows.map((r) =>
    r
      .map((c, i) => (rightAlign.has(i) ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** Whether progress lines should be drawn (only on an interactive terminal). */
export function progressWanted(): boolean {
  return Boolean(process.stderr.isTTY);
}
