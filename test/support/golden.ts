/**
 * Golden traces: how each one in traces/ is made (traces/manifest.json `recipes`) and its digest per
 * machine version (`digests`). Shared by test/replay/golden.test.ts, which re-records every
 * reproducible recipe and requires the committed bytes, and scripts/record-golden.mjs (`npm run
 * golden`), which writes the traces and the digests of a new machine version.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalJson } from '../../tracer/canonical-json.js';
import { FilterRulesSchema } from '../../tracer/filter/rules.js';
import { rewriteTrace } from '../../tracer/filter/rewrite.js';
import { TraceReader } from '../../tracer/reader.js';
import { MemorySink } from '../../tracer/sink.js';
import { loadScenario } from '../../src/scenarios/resolve.js';
import { recordScenario } from '../../src/session/record-session.js';
import { ImageBuilder } from '../../src/session/rootfs/builder.js';
import { loadCommittedGuest } from '../../src/guests/catalog.js';
import type { RootFsImage } from '../../src/l4linux/vfs/rootfs-image.js';

export interface GoldenRecipe {
  /** A recorded scenario ... */
  scenario?: string;
  seed?: number;
  flavour?: string;
  sets?: string[];
  /** `os`: not reproducible from the recipe; only its committed bytes and its replay are checked. */
  entropy?: 'prng' | 'os';
  /** ... or another golden trace reduced by filter rules (tracer/filter/rules.ts). */
  filter?: { from: string; rules: Record<string, unknown> };
  /**
   * A root file system for the run, built in memory: path -> "dir", "guest:NAME" (a committed guest's
   * ELF, mode 0755) or "text:CONTENT" (mode 0644). Its metadata and the files the run read are in the
   * trace (RootFs header field, FileBlob packets).
   */
  rootfs?: Record<string, string>;
}

export interface GoldenManifest {
  recipes: Record<string, GoldenRecipe>;
  /** Machine version -> file -> SHA-256 (hex) of the committed trace. */
  digests: Record<string, Record<string, string>>;
}

/** traces/ from the sources (test/support) or from the build (dist/test/support). */
export const GOLDEN_DIR = [new URL('../../traces/', import.meta.url), new URL('../../../traces/', import.meta.url)]
  .map((u) => fileURLToPath(u))
  .find((d) => existsSync(join(d, 'manifest.json')) || existsSync(join(d, 'README.md')))!;

export function readManifest(dir = GOLDEN_DIR): GoldenManifest {
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as GoldenManifest;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function reproducible(r: GoldenRecipe): boolean {
  return r.entropy !== 'os';
}

/**
 * The bytes of a golden trace made by this build. `toolVersion` is the committed trace's (the tool's
 * version string is in the header; a release must not look like a machine change). `sources` gives the
 * bytes of other golden traces a filter recipe starts from.
 */
export function makeGolden(recipe: GoldenRecipe, toolVersion: string, sources: (file: string) => Uint8Array): Uint8Array {
  const sink = new MemorySink();
  if (recipe.filter) {
    const reader = TraceReader.fromBytes(sources(recipe.filter.from));
    rewriteTrace(reader, sink, { filter: FilterRulesSchema.parse(recipe.filter.rules) });
    return sink.bytes();
  }
  const spec = loadScenario(recipe.scenario!, {
    ...(recipe.seed !== undefined ? { seed: recipe.seed } : {}),
    ...(recipe.flavour !== undefined ? { flavour: recipe.flavour } : {}),
    sets: recipe.sets ?? [],
  });
  const rootfs = recipe.rootfs ? goldenRootfs(recipe.rootfs) : null;
  recordScenario(spec, sink, { entropy: recipe.entropy ?? 'prng', toolVersion, ...(rootfs ? { rootfs } : {}) });
  return sink.bytes();
}

/** The in-memory root file system of a recipe (fixed owners and times, so the bytes never vary). */
function goldenRootfs(tree: Record<string, string>): RootFsImage {
  const b = new ImageBuilder('golden rootfs');
  const meta = (mode: number) => ({ mode, uid: 0, gid: 0, mtime: 0 });
  for (const [path, what] of Object.entries(tree).sort(([x], [y]) => (x < y ? -1 : 1))) {
    if (what === 'dir') b.dir(path, meta(0o755));
    else if (what.startsWith('guest:')) b.file(path, meta(0o755), loadCommittedGuest(what.slice(6)));
    else if (what.startsWith('text:')) b.file(path, meta(0o644), new TextEncoder().encode(what.slice(5)));
    else throw new Error(`golden rootfs: ${path}: ${what} is not dir, guest:NAME or text:CONTENT`);
  }
  return b.finish().image;
}

/** A manifest's text: stable key order, so a diff shows only what changed. */
export function manifestText(m: GoldenManifest): string {
  return JSON.stringify(JSON.parse(canonicalJson(m)), null, 2) + '\n';
}
