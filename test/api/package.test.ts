/**
 * The npm package: `npm pack` gives a tarball that installs into an empty folder and works there with
 * no dev tools: `npx l4trace info` on a golden trace, `npx l4trace demo`, a script that imports the
 * package (record signal-race, replay it, query it), the compiled example, and a TypeScript consumer
 * type-checked against the package's own .d.ts. The tarball is packed from the current build
 * (`npm run build` first; --ignore-scripts so the test does not rebuild). Installing fetches the
 * runtime dependencies from the npm registry: slow, hence the long timeout; skipped (one line) when
 * npm is not available.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const npmAvailable = spawnSync('npm', ['--version'], { encoding: 'utf8' }).status === 0;
if (!npmAvailable) console.warn('test/api/package.test.ts: skipped: npm is not available on this machine');

const tmp = mkdtempSync(join(tmpdir(), 'l4trace-pack-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(cmd: string, args: string[], cwd: string, timeout = 600_000): SpawnSyncReturns<string> {
  // npm_* variables of an enclosing `npm test` would point npm at the checkout's package.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  expect(r.status, `${what} failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

describe.skipIf(!npmAvailable)('npm package', () => {
  it('packs the build, installs into an empty folder, and runs the CLI and the library there', () => {
    expect(existsSync(join(ROOT, 'dist/src/api/index.d.ts')), 'the build is missing: run npm run build first').toBe(true);
    expect(existsSync(join(ROOT, 'dist/viewer/app.bundle.js')), 'the viewer bundle is missing: run npm run build first').toBe(true);

    // Pack: the compiled output and what the CLI reads at run time, nothing of the tests or the sources.
    const packDir = join(tmp, 'pack');
    mkdirSync(packDir, { recursive: true });
    const packed = JSON.parse(ok(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], ROOT, 300_000), 'npm pack')) as { filename: string; files: { path: string }[] }[];
    const files = packed[0]!.files.map((f) => f.path);
    for (const f of ['package.json', 'bin/l4trace.js', 'dist/src/api/index.js', 'dist/src/api/index.d.ts', 'dist/src/cli/main.js', 'dist/viewer/app.bundle.js', 'dist/replay/sweep-worker.js', 'tracer/trace.proto', 'src/guests/bin/hello', 'examples/linux-syscalls.ts']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => f.startsWith('dist/test/') || f.endsWith('.map') || f.endsWith('.test.js') || (f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('examples/')))).toEqual([]);
    const tarball = join(packDir, packed[0]!.filename);

    // Install into an empty folder: runtime dependencies only, no build tools.
    const app = join(tmp, 'app');
    rmSync(app, { recursive: true, force: true });
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'l4trace-consumer', private: true, type: 'module' }));
    ok(run('npm', ['install', '--no-audit', '--no-fund', tarball], app), 'npm install of the tarball');
    const modules = readdirSync(join(app, 'node_modules'));
    for (const dev of ['typescript', 'vitest', 'esbuild', 'playwright-core']) expect(modules, dev).not.toContain(dev);

    // The CLI: info on a golden trace, and the demo.
    const info = ok(run('npx', ['--no-install', 'l4trace', 'info', join(ROOT, 'traces/irq.l4t')], app, 120_000), 'npx l4trace info');
    expect(info).toMatch(/complete, every packet and the file digest check/);
    const demo = ok(run('npx', ['--no-install', 'l4trace', 'demo', '-o', 'demo'], app, 300_000), 'npx l4trace demo');
    expect(demo).toContain('signal-race');
    expect(existsSync(join(app, 'demo/signal-race-seed1.html'))).toBe(true);

    // The library, imported by name from a script in that folder.
    writeFileSync(
      join(app, 'use.mjs'),
      `import { machine, record, replay, analyze, openTrace } from 'l4trace';
const rec = await record(machine('signal-race', { seed: 1 }), 'race.l4t');
const t = openTrace('race.l4t');
const sends = [...t.events({ kinds: ['SIG_SEND'] })].map((e) => e.fields.kick);
t.close();
const r = replay('race.l4t');
const db = await analyze('race.l4t');
const [row] = await db.query('select count(*) as n from ipc');
db.close();
console.log(JSON.stringify({ outcome: rec.outcome, events: rec.events, sends, verdict: r.verdict, ipc: row.n }));
`,
    );
    const used = JSON.parse(ok(run(process.execPath, ['use.mjs'], app, 120_000), 'the script importing l4trace')) as Record<string, unknown>;
    expect(used).toMatchObject({ outcome: 'hang', sends: ['SETIMEOUT'], verdict: 'identical' });
    expect(used.ipc).toBeGreaterThan(0);

    // The compiled LKL-style example runs against the installed package.
    ok(run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'examples/tsconfig.json')], ROOT, 120_000), 'tsc on examples/');
    copyFileSync(join(ROOT, 'dist/examples/linux-syscalls.js'), join(app, 'linux-syscalls.js'));
    const lkl = ok(run(process.execPath, ['linux-syscalls.js'], app, 120_000), 'the LKL example');
    expect(lkl).toMatch(/pid 1 fork +=\s*2/);
    expect(lkl).toContain('replay: identical');

    // A TypeScript consumer type-checks against the package's declarations (exports -> types).
    writeFileSync(
      join(app, 'consumer.ts'),
      `import { machine, record, LinuxProgram, type Event, type KindName, type Recording } from 'l4trace';
const k: KindName = 'SIG_SEND';
const p = new LinuxProgram();
const fd = p.open('/etc/hosts');
p.write(fd, 'x');
export async function f(): Promise<number> {
  const r: Recording = await record(machine('pingpong', { seed: 2 }));
  const e: Event | undefined = r.open().events({ kinds: [k] }).next().value ?? undefined;
  return r.events + (e?.seq ?? 0);
}
`,
    );
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['consumer.ts'] }));
    const tsc = run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app, 120_000);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 900_000);
});
