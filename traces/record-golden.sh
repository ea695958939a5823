#!/usr/bin/env bash
# Re-records the golden traces (run from the repository root after `npm run build`).
# Only do this on purpose: when a change alters the machine's behaviour, bump MACHINE_VERSION
# (src/scenarios/runner.ts), describe the change in replay/versions.ts, and re-record.
set -euo pipefail
cd "$(dirname "$0")/.."
l4t() { node bin/l4trace.js "$@" > /dev/null; }
l4t record pingpong --set rounds=200 --set warmup=5 --set 'compare=[]' -o traces/pingpong-v2.l4t
l4t record pingpong --flavour x2 --set rounds=200 --set warmup=5 --set 'compare=[]' --set smallSpaces=true -o traces/pingpong-x2-small.l4t
l4t record irq --set hits=60 -o traces/irq.l4t
l4t record clients-server --set calls=8 --seed 3 -o traces/clients-server-seed3.l4t
l4t record clients-server --set calls=8 --entropy os -o traces/clients-server-os.l4t
l4t record signal-race --seed 1 -o traces/signal-race-seed1-hang.l4t
l4t record signal-race --seed 1 --set signalFix=handshake -o traces/signal-race-seed1-handshake.l4t
l4t record maxcpus-deadlock -o traces/maxcpus-deadlock.l4t
l4t record shell -o traces/shell.l4t
l4t record shell --set trace.policy=overwrite --set trace.capacityChunks=2 --set trace.chunkEvents=64 -o traces/shell-overwrite.l4t
l4t record run --set program=rec-O2 -o traces/rec-O2.l4t
l4t record run --set program=signals --set personality=native -o traces/signals-native.l4t
l4t record table2 --set personality=l4env --set getpids=100 --set forks=3 -o traces/table2-l4env.l4t
l4t filter traces/rec-O2.l4t -o traces/rec-O2-no-funcs.l4t --drop-kind FUNC_ENTER,FUNC_EXIT
echo "golden traces recorded in traces/"
