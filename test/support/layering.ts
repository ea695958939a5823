/**
 * DESIGN.md §2's import rules as data, and a checker that reads every import of a source tree against
 * them. Arrows point down the table: a folder may import only the folders listed for it; nothing imports
 * src/cli (tests, benches and scripts included). Used by test/architecture/layering.test.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

const RUNTIME = ['src/sim', 'src/ia32', 'src/l4', 'src/l4linux', 'src/guests'];

/** Folder -> the folders of ours it may import (itself always). */
export const ALLOWED: Record<string, readonly string[]> = {
  'src/sim': [],
  'src/ia32': ['src/sim'],
  'src/l4': ['src/sim', 'src/ia32', 'tracer'],
  'src/l4linux': ['src/sim', 'src/ia32', 'src/l4', 'tracer'],
  'src/guests': [],
  'src/scenarios': [...RUNTIME, 'tracer'],
  'src/session': [...RUNTIME, 'src/scenarios', 'tracer'],
  tracer: [],
  replay: [...RUNTIME, 'src/scenarios', 'src/session', 'tracer'],
  analyze: ['tracer'],
  viewer: ['tracer', 'analyze'],
  /** The library API (the package's entry module): a client of every layer, as the CLI is. */
  'src/api': ['*', '!src/cli'],
  'src/cli': ['*'],
  test: ['*', '!src/cli'],
  scripts: ['*', '!src/cli'],
};

const FOLDERS = Object.keys(ALLOWED).sort((a, b) => b.length - a.length);

/** The folder of the table a repository path belongs to (build output maps to its source). */
export function folderOf(path: string): string | null {
  const p = path.split(sep).join('/').replace(/^dist\//, '');
  return FOLDERS.find((f) => p === f || p.startsWith(`${f}/`)) ?? null;
}

export interface Violation {
  file: string;
  line: number;
  specifier: string;
  from: string;
  to: string;
}

const IMPORT_PATTERNS = [/\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g];

/** The relative imports of one source file, with their line numbers. */
export function importsOf(text: string): { specifier: string; line: number }[] {
  const out: { specifier: string; line: number }[] = [];
  for (const re of IMPORT_PATTERNS) {
    for (const m of text.matchAll(re)) {
      if (!m[1]!.startsWith('.')) continue;
      out.push({ specifier: m[1]!, line: text.slice(0, m.index).split('\n').length });
    }
  }
  return out;
}

function allowed(from: string, to: string): boolean {
  if (from === to) return true;
  const rules = ALLOWED[from] ?? [];
  if (rules.includes(`!${to}`)) return false;
  return rules.includes('*') || rules.includes(to);
}

function sourceFiles(root: string, dir: string, skip: readonly string[]): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const rel = dir ? `${dir}/${name}` : name;
    if (['node_modules', 'dist', '.git'].includes(name) || skip.includes(rel)) continue;
    if (statSync(join(root, rel)).isDirectory()) out.push(...sourceFiles(root, rel, skip));
    else if (/\.(ts|mts|mjs|js)$/.test(name) && !name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** Every import under `root` that the table forbids. `skip`: repository-relative paths left out. */
export function layeringViolations(root: string, skip: readonly string[] = []): { files: number; imports: number; violations: Violation[] } {
  const violations: Violation[] = [];
  let imports = 0;
  const files = sourceFiles(root, '', skip).filter((f) => folderOf(f) !== null);
  for (const file of files) {
    const from = folderOf(file)!;
    for (const { specifier, line } of importsOf(readFileSync(join(root, file), 'utf8'))) {
      imports++;
      const target = relative(root, normalize(join(root, dirname(file), specifier)));
      const to = folderOf(target);
      if (to === null) {
        // Outside every folder of the table (package.json, a stray root file): only the composition root and tests may.
        if (!['src/cli', 'test', 'scripts'].includes(from)) violations.push({ file, line, specifier, from, to: target });
        continue;
      }
      if (!allowed(from, to)) violations.push({ file, line, specifier, from, to });
    }
  }
  return { files: files.length, imports, violations };
}
