/**
 * Debian's busybox-static (i386), unmodified, under `l4trace run --rootfs`: shell pipelines and scripts
 * with sort, uniq, tr, sed, awk, md5sum, seq, wc, expr, test, loops, arithmetic, here-documents and
 * command substitution print what the same busybox prints natively, with the same exit status; and a
 * run records and replays as identical from the trace alone.
 *
 * The rootfs is built by `npm run rootfs` (scripts/rootfs.mjs; busybox is downloaded, never committed).
 * Without it the whole file is skipped with a one-line note.
 *
 * The oracle is a native run of the same binary (.cache/rootfs/busybox) with its applets first on
 * PATH: a temporary directory of symlinks to it, `env -i PATH=<dir> <dir>/sh -c SCRIPT`, the current
 * directory a fresh temporary directory, stdin empty. The scripts print nothing that depends on the host
 * (no pids, times, paths of the current directory); files they make go to /tmp under names with $$ in
 * them (natively that is the host's /tmp) and are removed again.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const ROOTFS_REL = '.cache/rootfs/busybox-rootfs.tar';
const ROOTFS = join(REPO, ROOTFS_REL);
const BUSYBOX = join(REPO, '.cache/rootfs/busybox');
const HAVE_ROOTFS = existsSync(ROOTFS) && existsSync(BUSYBOX);
if (!HAVE_ROOTFS) console.log(`busybox tests skipped: ${ROOTFS_REL} is missing (npm run rootfs builds it)`);

const SLOW = 180_000; // each l4trace run interprets a 2 MB busybox

interface Outcome {
  stdout: string;
  status: number;
}

/** Each case: one `sh -c` script; several pipelines per script keep the number of l4trace runs down. */
const CASES: { name: string; script: string }[] = [
  {
    name: 'pipelines: sort, uniq, tr, wc, head, tail, cut',
    script: `
printf 'pear\\napple\\nfig\\napple\\nkiwi\\npear\\napple\\n' | sort | uniq -c | sort -rn | head -3
printf 'b 2\\na 10\\nc 1\\n' | sort -k2 -n | cut -d' ' -f1 | tr '\\n' ' '; echo
echo 'Hello, World' | tr 'a-z' 'A-Z'
echo 'hello' | tr -d 'l'
echo 'aaabbbccc' | tr -s 'a-c'
printf 'one two\\nthree\\n\\nfour five six\\n' | wc
seq 1 100 | wc -l
seq 1 20 | tail -3 | tr '\\n' ','; echo
printf 'z\\ny\\nx\\ny\\n' | sort -u
false | true; echo "pipeline status $?"
`,
  },
  {
    name: 'sed and awk, with floating-point printf',
    script: `
seq 1 10 | sed -n '3,5p'
echo 'foo bar foo' | sed 's/foo/baz/g'
printf 'a=1\\nb=2\\nc=3\\n' | sed -e 's/=/ is /' -e '/b/d'
echo 'path/to/file.txt' | sed 's|.*/||; s/\\.txt$//'
awk 'BEGIN { printf "%.3f\\n", 1/3 }'
awk 'BEGIN { printf "%e %g %5.2f %d %x\\n", 12345.678, 0.0001, 3.14159, -7.9, 255 }'
awk 'BEGIN { print 7/2, int(7/2), 10%3, 1e6, 1e-3, 0.1+0.2, 1/3, 2*2*2*2*2*2*2*2*2*2 }'
# Debian's busybox awk has no math library (sqrt, exp, ^): Newton's method instead
awk 'BEGIN { x = 2; for (i = 0; i < 30; i++) x = (x + 2 / x) / 2; printf "%.10f %.6e %.4f %.15g\\n", x, 1/7, 22/7, x * x }'
seq 1 10 | awk '{ s += $1; q += $1 * $1 } END { print s, s / NR, q }'
printf 'x 1\\ny 2\\nx 3\\n' | awk '{ a[$1] += $2 } END { for (k in a) print k, a[k] }' | sort
echo 'the quick brown fox' | awk '{ for (i = NF; i > 0; i--) printf "%s%s", toupper($i), (i > 1 ? " " : "\\n") }'
printf '1,2\\n3,4\\n' | awk -F, '{ print $2 "-" $1; n++ } END { print n " lines" }'
`,
  },
  {
    name: 'md5sum, seq, expr, test',
    script: `
echo hello | md5sum
printf '' | md5sum
seq 1 1000 | md5sum
seq 5 -2 -3 | tr '\\n' ' '; echo
seq -s, 1 5
expr 6 \\* 7; expr 10 / 3; expr 10 % 3; expr length hello; expr substr abcdef 2 3; expr 3 \\> 2
expr 1 = 2; echo "expr status $?"
test 5 -gt 3 && echo gt
[ -z "" ] && echo empty
[ abc = abc ] && echo same
[ 2 -le 1 ] || echo 'not le'
test -d /tmp && echo 'tmp is a directory'
test -f /nonexistent || echo 'no such file'
[ ! -n "" ] && echo negation
exit 3
`,
  },
  {
    name: 'loops, functions and shell arithmetic',
    script: `
i=0
while [ $i -lt 5 ]; do i=$((i + 1)); printf '%d ' $((i * i)); done; echo
for w in alpha beta gamma; do echo "$w \${#w}"; done
n=1; for i in $(seq 1 10); do n=$((n * i)); done; echo "10! = $n"
echo $(( (7 + 3) * 2 - 10 / 3 % 2 )) $((1 << 10)) $((0x1f)) $((-7 / 2)) $((7 % -3)) $((3 > 2 && 1)) $((2 ** 10))
x=5; x=$((x += 2)); echo $x
until [ $x -le 0 ]; do x=$((x - 3)); done; echo $x
for f in a.c b.h c.txt; do case $f in *.c) echo "$f: C";; *.h) echo "$f: header";; *) echo "$f: other";; esac; done
f() { echo "in f: $# args, first $1"; return 3; }
f a b c; echo "f returned $?"
j=0; while true; do j=$((j + 1)); [ $j -ge 4 ] && break; [ $j -eq 2 ] && continue; echo "j=$j"; done
`,
  },
  {
    name: 'here-documents, command substitution, parameters',
    script: `
cat <<EOF
sum: $((2 + 3))
nested: $(echo inner $(echo deepest))
EOF
cat <<'EOF'
literal $x $(not run)
EOF
while read a b; do echo "[$b|$a]"; done <<EOF
one 1
two 2
EOF
v=$(printf 'a\\nb\\nc\\n' | wc -l); echo "lines: $v"
w=\`echo backticks\`; echo $w
set -- x y z; echo "$# $2 $*"
s='hello world'; echo "\${s#hello }|\${s%world}|\${#s}|\${s:-default}|\${unset:-dflt}|\${s%%o*}|\${s##*o}"
v=a:b:c; IFS=:; set -- $v; echo "$2 of $#"; unset IFS
`,
  },
  {
    name: 'files in /tmp, a script run with sh, an executable #! script run directly',
    script: `
d=/tmp/l4trace-bb-$$
mkdir $d && cd $d || exit 9
echo one > a; echo two >> a; cat a | wc -l
cp a b; mv b c; ln -s a l; ls | tr '\\n' ' '; echo
readlink l; cat l | head -1
f=$d/x.sh
cat > $f <<'EOF'
echo "script args: $# $1 $2"
total=0
for n in "$@"; do total=$((total + n)); done
echo "total $total"
exit 7
EOF
sh $f 3 4; echo "sh script status $?"
# The interpreter line names busybox's sh as PATH finds it: /bin/sh in the rootfs, the applet
# directory's sh natively (the host's /bin/sh is another shell). 'command -v sh' would say just "sh".
g=$d/run-me
printf '#!%s\\necho "args: $*"\\necho "from a script" | tr a-z A-Z\\nexit 5\\n' "$(which sh)" > $g
chmod +x $g
$g one two; echo "#! script status $?"
cd / && rm -r $d && [ ! -e $d ] && echo removed
`,
  },
];

function nativeStatus(r: ReturnType<typeof spawnSync>): number {
  if (r.signal) return 128 + (constants.signals[r.signal as keyof typeof constants.signals] ?? 0);
  return r.status ?? -1;
}

describe.skipIf(!HAVE_ROOTFS)('Debian busybox-static under l4trace prints what it prints natively', () => {
  let applets = '';

  beforeAll(() => {
    applets = mkdtempSync(join(tmpdir(), 'l4trace-bb-applets-'));
    const list = spawnSync(BUSYBOX, ['--list'], { encoding: 'utf8' });
    if (list.status !== 0) throw new Error(`${BUSYBOX} --list does not run here: ${list.error?.message ?? list.stderr}`);
    for (const name of list.stdout.split('\n').map((l) => l.trim()).filter(Boolean)) symlinkSync(BUSYBOX, join(applets, name));
  });

  afterAll(() => {
    if (applets) rmSync(applets, { recursive: true, force: true });
  });

  function native(script: string): Outcome {
    const cwd = tempDir('l4trace-bb-cwd-');
    try {
      const r = spawnSync('env', ['-i', `PATH=${applets}`, join(applets, 'sh'), '-c', script], { cwd, input: '', encoding: 'utf8', timeout: 60_000 });
      if (r.error) throw r.error;
      return { stdout: r.stdout, status: nativeStatus(r) };
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }

  function underL4trace(script: string, extra: string[] = [], rootfs = ROOTFS_REL): Outcome & { stderr: string } {
    const r = runCli(['run', '--rootfs', rootfs, ...extra, '/bin/sh', '-c', script], { cwd: REPO });
    return { stdout: r.stdout, status: r.code, stderr: r.stderr };
  }

  for (const c of CASES) {
    it(
      `${c.name}: same stdout and exit status`,
      () => {
        const want = native(c.script);
        expect(want.stdout.length, 'the native run printed something').toBeGreaterThan(0);
        const got = underL4trace(c.script);
        expect(got.stdout, got.stderr).toBe(want.stdout);
        expect(got.status, got.stderr).toBe(want.status);
      },
      SLOW,
    );
  }

  it(
    'a busybox run records, and replays as identical from the trace alone (moved elsewhere, the rootfs deleted)',
    () => {
      const script = "seq 1 50 | awk '{ s += $1 } END { printf \"%.2f\\n\", s / NR }' | sed 's/^/mean /'; echo abc | md5sum | tr -d ' -'";
      const want = native(script);
      const recordDir = tempDir('l4trace-bb-record-');
      const replayDir = tempDir('l4trace-bb-replay-');
      try {
        const rootfs = join(recordDir, 'rootfs.tar');
        copyFileSync(ROOTFS, rootfs);
        const trace = join(recordDir, 'bb.l4t');
        const rec = underL4trace(script, ['--trace', trace], rootfs);
        expect(rec.stdout, rec.stderr).toBe(want.stdout);
        expect(rec.status, rec.stderr).toBe(want.status);
        const moved = join(replayDir, 'bb.l4t');
        renameSync(trace, moved);
        rmSync(recordDir, { recursive: true, force: true });
        const replay = runCli(['replay', moved], { cwd: replayDir });
        expect(replay.code, replay.stdout + replay.stderr).toBe(0);
        expect(replay.stdout).toMatch(/: identical \(/);
      } finally {
        rmSync(recordDir, { recursive: true, force: true });
        rmSync(replayDir, { recursive: true, force: true });
      }
    },
    SLOW,
  );
});
