/**
 * CLI conventions (issue 18): `-` as stdin/stdout (or a clear refusal), `--json` on the reporting
 * commands, `l4trace list`, an example in every `--help`, the filter's globs, quiet progress when
 * stderr is not a terminal, and the completion scripts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SCENARIOS } from '../../src/scenarios/registry.js';
import { committedGuests } from '../../src/guests/catalog.js';
import { globToRegExp } from '../../tracer/filter/rules.js';
import { BIN, runCli, tempDir } from '../support/cli.js';

/** The CLI with binary stdin and stdout. */
function runBin(args: string[], input?: Uint8Array, cwd?: string): { code: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, input, maxBuffer: 256 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

const json = (s: string | Buffer): Record<string, unknown> => JSON.parse(s.toString().trim()) as Record<string, unknown>;

let dir: string;
let trace: string;
let traceBytes: Buffer;

beforeAll(() => {
  dir = tempDir('l4trace-conv-');
  trace = join(dir, 'p.l4t');
  const r = runCli(['record', 'pingpong', '--set', 'params.rounds=20', '-o', trace]);
  expect(r.code, r.stderr).toBe(0);
  traceBytes = readFileSync(trace);
});

describe('- as standard input and output', () => {
  it('record -o - streams the trace to stdout and says what it did on stderr', () => {
    const r = runBin(['record', 'pingpong', '--set', 'params.rounds=20', '-o', '-'], undefined, dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.equals(traceBytes)).toBe(true);
    expect(r.stderr).toContain('recorded pingpong -> -');
    expect(existsSync(join(dir, '-'))).toBe(false);
  });

  it('info, dump, score, replay and report read a trace from stdin', () => {
    const info = runBin(['info', '-', '--json'], traceBytes);
    expect(info.code, info.stderr).toBe(0);
    expect(json(info.stdout).scenario).toBe('pingpong');
    const dump = runBin(['dump', '-', '--limit', '3', '--json'], traceBytes);
    expect(dump.code, dump.stderr).toBe(0);
    expect(dump.stdout.toString().trim().split('\n')).toHaveLength(3);
    const score = runBin(['score', '-', '--json'], traceBytes);
    expect(score.code, score.stderr).toBe(0);
    const replay = runBin(['replay', '-'], traceBytes);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout.toString()).toContain('identical');
    const report = runBin(['report', '-', '--json'], traceBytes);
    expect(report.code, report.stderr).toBe(0);
    expect(Object.keys(json(report.stdout)).length).toBeGreaterThan(0);
    const query = runBin(['query', '-', 'select count(*) as n from thread', '--json'], traceBytes);
    expect(query.code, query.stderr).toBe(0);
    expect((JSON.parse(query.stdout.toString()) as { n: number }[])[0]!.n).toBeGreaterThan(0);
  });

  it('filter -o - writes a trace to stdout that replays, and nothing named -', () => {
    const r = runBin(['filter', trace, '--drop-kind', 'SCHED', '-o', '-'], undefined, dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('filtered');
    expect(existsSync(join(dir, '-'))).toBe(false);
    const out = join(dir, 'f.l4t');
    writeFileSync(out, r.stdout);
    const replay = runCli(['replay', out]);
    expect(replay.code, replay.stdout + replay.stderr).toBe(0);
  });

  it('filter -f - reads the rules from stdin', () => {
    const out = join(dir, 'f2.l4t');
    const r = runCli(['filter', trace, '-f', '-', '-o', out, '--json'], { input: 'SCOREP_REGION_NAMES_BEGIN\n  EXCLUDE *\nSCOREP_REGION_NAMES_END\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout).out).toBe(out);
  });

  it('export -o - writes Chrome JSON to stdout; parquet refuses -', () => {
    const r = runBin(['export', trace, '--format', 'chrome-json', '-o', '-'], undefined, dir);
    expect(r.code, r.stderr).toBe(0);
    expect(Array.isArray(json(r.stdout).traceEvents)).toBe(true);
    expect(existsSync(join(dir, '-'))).toBe(false);
    const p = runCli(['export', trace, '--format', 'parquet', '-o', '-'], { cwd: dir });
    expect(p.code).toBe(2);
    expect(p.stderr.trim().split('\n')).toEqual(['l4trace: -o -: parquet is written as a folder of files; give a folder name']);
  });

  it('refuses - where it cannot work, in one line, with a usage error', () => {
    for (const args of [
      ['run', 'hello', '--trace', '-'],
      ['images', trace, '-o', '-'],
      ['demo', '-o', '-'],
      ['report', trace, '--db', '-'],
      ['filter', '-', '-f', '-', '-o', join(dir, 'x.l4t')],
    ]) {
      const r = runCli(args, { input: '' });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('view - needs -o; view -o - writes the page to stdout', () => {
    const r = runCli(['view', '-'], { input: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('give -o');
    const v = runBin(['view', trace, '-o', '-', '--json'], undefined, dir);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout.toString().startsWith('<!')).toBe(true);
    expect(json(v.stderr.split('\n').filter(Boolean).at(-1)!).out).toBe('-');
  });
});

describe('--json', () => {
  it('record, filter, load, export, view and list print one JSON object', () => {
    const rec = runCli(['record', 'pingpong', '--set', 'params.rounds=20', '-o', join(dir, 'j.l4t'), '--json']);
    expect(rec.code, rec.stderr).toBe(0);
    expect(json(rec.stdout)).toMatchObject({ scenario: 'pingpong', outcome: 'ok' });
    const fil = runCli(['filter', trace, '--drop-kind', 'SCHED', '-o', join(dir, 'jf.l4t'), '--json']);
    expect(json(fil.stdout)).toMatchObject({ file: trace, complete: true });
    const load = runCli(['load', trace, '--db', join(dir, 'p.duckdb'), '--json']);
    expect(json(load.stdout)).toMatchObject({ loaded: true });
    const exp = runCli(['export', trace, '--format', 'perfetto', '-o', join(dir, 'p.pftrace'), '--json']);
    expect(json(exp.stdout)).toMatchObject({ format: 'perfetto' });
    const view = runCli(['view', trace, '-o', join(dir, 'p.html'), '--json']);
    expect(json(view.stdout)).toMatchObject({ out: join(dir, 'p.html') });
  });

  it('run --json holds the guest output and the exit status', () => {
    const r = runCli(['run', 'hello', '--json'], { input: '' });
    expect(r.code, r.stderr).toBe(0);
    const o = json(r.stdout);
    expect(o.exitStatus).toBe(0);
    expect(typeof o.stdout).toBe('string');
    expect((o.stdout as string).length).toBeGreaterThan(0);
  });
});

describe('l4trace list', () => {
  it('lists every built-in scenario with its parameters and defaults, and every guest', () => {
    const r = runCli(['list', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const o = json(r.stdout) as { scenarios: { name: string; params: { name: string; default?: unknown }[] }[]; guests: string[]; personalities: { name: string }[]; flavours: { name: string }[] };
    expect(o.scenarios.map((s) => s.name)).toEqual([...SCENARIOS.keys()]);
    const rounds = o.scenarios.find((s) => s.name === 'pingpong')!.params.find((p) => p.name === 'rounds');
    expect(rounds?.default).toBe(2000);
    expect(o.guests).toEqual(committedGuests());
    expect(o.personalities.map((p) => p.name)).toEqual(['native', 'l4linux', 'l4env']);
    expect(o.flavours.map((f) => f.name)).toEqual(['v2', 'x2']);
    const text = runCli(['list']);
    for (const name of SCENARIOS.keys()) expect(text.stdout).toContain(`  ${name}: `);
    expect(runCli(['list', 'nonsense']).code).toBe(2);
  });

  it('record --help lists every built-in scenario', () => {
    const r = runCli(['record', '--help']);
    for (const [name, def] of SCENARIOS) expect(r.stdout).toContain(def.description.slice(0, 30)), expect(r.stdout).toContain(name);
    const block = r.stdout.split('Built-in scenarios:')[1]!.split('Examples:')[0]!;
    expect(block.trim().split('\n').map((l) => l.trim().split(/\s+/)[0])).toEqual([...SCENARIOS.keys()]);
  });
});

describe('help', () => {
  it('every command has an example in its --help', () => {
    const root = runCli(['--help']).stdout;
    // Command lines start with two spaces; a wrapped description continues further in.
    const commands = [...root.split('Commands:')[1]!.matchAll(/^  (\S+)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(commands).toContain('list');
    expect(commands).toContain('completion');
    const sub: string[][] = commands.map((c) => [c]);
    sub.push(['bench', 'table2'], ['bench', 'pingpong']);
    for (const c of sub) {
      const h = runCli([...c, '--help']);
      expect(h.code, c.join(' ')).toBe(0);
      expect(h.stdout, c.join(' ')).toMatch(/\nExamples?:\n/);
    }
  });
});

describe('filter globs', () => {
  it('* ? and [...] are globs; other characters stand for themselves', () => {
    const m = (g: string, s: string): boolean => globToRegExp(g).test(s);
    expect(m('str*', 'strcpy')).toBe(true);
    expect(m('sys_?et*', 'sys_getpid')).toBe(true);
    expect(m('sys_?et*', 'sys_gtpid')).toBe(false);
    expect(m('mem[cs]*', 'memcpy')).toBe(true);
    expect(m('mem[cs]*', 'memmove')).toBe(false);
    expect(m('mem[!c]*', 'memcpy')).toBe(false);
    expect(m('mem[!c]*', 'memset')).toBe(true);
    expect(m('x[a-c]', 'xb')).toBe(true);
    expect(m('a.b', 'axb')).toBe(false);
    expect(m('*', '/bin/sh')).toBe(true);
    expect(m('?bin/sh', '/bin/sh')).toBe(true);
    expect(m('operator()', 'operator()')).toBe(true);
    expect(m('{a,b}', 'a')).toBe(false);
    expect(m('a\\*', 'a*')).toBe(true);
    expect(m('a\\*', 'ab')).toBe(false);
  });

  it('filter --exclude-function takes ? and [...]', () => {
    const out = join(dir, 'g.l4t');
    const all = runCli(['filter', trace, '--exclude-function', '*', '-o', out, '--json']);
    const some = runCli(['filter', trace, '--exclude-function', '[!a-z]*', '-o', out, '--json']);
    expect(all.code, all.stderr).toBe(0);
    expect(some.code, some.stderr).toBe(0);
    expect(json(some.stdout).events as number).toBeGreaterThanOrEqual(json(all.stdout).events as number);
  });
});

describe('progress and completion', () => {
  it('record and shrink draw no progress lines when stderr is not a terminal', () => {
    const r = runCli(['record', 'pingpong', '--set', 'params.rounds=20', '-o', join(dir, 'q.l4t')]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('\r');
  });

  it('completion bash is a valid script naming every command and scenario; zsh defines _l4trace', () => {
    const b = runCli(['completion', 'bash']);
    expect(b.code).toBe(0);
    const check = spawnSync('bash', ['-n'], { input: b.stdout });
    expect(check.status, check.stderr?.toString()).toBe(0);
    for (const c of ['record', 'replay', 'list', 'completion', 'bench table2']) expect(b.stdout).toContain(`'${c}')`);
    for (const s of SCENARIOS.keys()) expect(b.stdout).toContain(s);
    expect(b.stdout).toContain('--exclude-function');
    const z = runCli(['completion', 'zsh']);
    expect(z.code).toBe(0);
    expect(z.stdout).toMatch(/^#compdef l4trace/);
    expect(z.stdout).toContain('_l4trace_record()');
    expect(runCli(['completion', 'fish']).code).toBe(2);
  });

  it('bash completes commands and scenario names; zsh loads the script and registers _l4trace for l4trace', () => {
    const script = join(dir, 'l4trace.bash');
    writeFileSync(script, runCli(['completion', 'bash']).stdout);
    const complete = (words: string[]): string[] => {
      const line = words.join(' ');
      const sh = `source '${script}'; f=$(complete -p l4trace | sed -E 's/.*-F ([^ ]+).*/\\1/'); COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMP_LINE='${line}'; COMP_POINT=${line.length}; $f; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const r = spawnSync('bash', ['-c', sh], { cwd: dir, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.split('\n').filter(Boolean);
    };
    expect(complete(['l4trace', 'rec'])).toEqual(['record']);
    expect(complete(['l4trace', 'record', 'maxcpus'])).toContain('maxcpus-deadlock');
    expect(complete(['l4trace', 'record', 'kme'])).toContain('kmem');
    const zsh = spawnSync('zsh', ['--version'], { encoding: 'utf8' });
    if (zsh.error) {
      console.log('skipped the zsh half: zsh is not installed (.ci/run installs it)');
      return;
    }
    const zscript = join(dir, '_l4trace.zsh');
    writeFileSync(zscript, runCli(['completion', 'zsh']).stdout);
    expect(spawnSync('zsh', ['-n', zscript]).status).toBe(0);
    const loaded = spawnSync('zsh', ['-f', '-c', `autoload -U compinit; compinit -u -D; source '${zscript}'; whence -w _l4trace; print -r -- \${_comps[l4trace]}`], { encoding: 'utf8' });
    expect(loaded.status, loaded.stderr).toBe(0);
    expect(loaded.stdout.trim().split('\n')).toEqual(['_l4trace: function', '_l4trace']);
  });
});
