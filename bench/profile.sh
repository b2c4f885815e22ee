#!/usr/bin/env bash
# Profiles ChatApi in the paced case, pinned as bench/run.sh pins it (bench/findings.md holds what it found):
#   bench/profile.sh [users] [seconds] [target]   250 streams, a 15 s window and the in-memory store (chatapi) by
#                                                 default; redis: ChatApi on a redis-server on the harness's core
# ChatApi runs with its JIT's perf map and without W^X (so perf resolves JIT'd frames) and without ReadyToRun (so
# the framework's hot methods are JIT'd and named too; once tiered up, hot code is JIT'd either way). After a warm-up
# of 20 runs it takes, over windows of the same length: `perf record -g` (cpu-clock samples), `dotnet-counters` (the
# runtime's meters: thread-pool work items, allocations, GCs, lock contention, timers), the collector's every pause
# (the bench's `gc` verb: an EventPipe session for the GC events alone) and the load generator's own figures.
# Output: artifacts/profile/<users>/ (<target>-<users>/ for another target) (perf.data, report.txt, counters.csv,
# gc.nettrace, gc.txt, run.txt, summary.txt). Needs linux-perf and the
# dotnet-counters tool (`dotnet tool install -g dotnet-counters`). Extra ChatApi settings: PROFILE_ENV="K=V;K=V".
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-250}
seconds=${2:-15}
target=${3:-chatapi}
out=artifacts/profile/$users
[ "$target" = chatapi ] || out=artifacts/profile/$target-$users
mkdir -p "$out"
counters=${DOTNET_COUNTERS:-$HOME/.dotnet/tools/dotnet-counters}

dotnet build -c Release bench/AspireChat.Bench -nologo -v quiet
env="DOTNET_PerfMapEnabled=3;DOTNET_EnableWriteXorExecute=0;DOTNET_ReadyToRun=0${PROFILE_ENV:+;$PROFILE_ENV}"
# Runs of 5 messages a user, back to back in one ChatApi process: long enough to warm up and then be sampled.
dotnet bench/AspireChat.Bench/bin/Release/net10.0/AspireChat.Bench.dll run --pin --target "$target" --users "$users" --turns 5 \
  --repeat 40 --env "$env" > "$out/run.txt" 2>&1 &
bench=$!
pid=""
until [ -n "$pid" ]; do
  sleep 1
  pid=$(sed -nE 's/^ChatApi is process ([0-9]+)$/\1/p' "$out/run.txt")
  kill -0 "$bench" 2>/dev/null || { cat "$out/run.txt"; exit 1; }
done
# The warm-up: the first 20 runs (the run verb prints what the JIT compiled in each).
until [ "$(grep -c 'run [0-9]*/40' "$out/run.txt")" -ge 20 ]; do
  sleep 2
  kill -0 "$bench" 2>/dev/null || { cat "$out/run.txt"; exit 1; }
done

# One window each: dotnet-counters' EventPipe session costs the process about a tenth of its samples, and starting it
# compiles the runtime's metrics code, so the perf window comes first and the counters' after it.
echo "Profiling ChatApi (process $pid) at $users streams for $seconds s; load average $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$out/run.txt"
perf record -F 999 -g -p "$pid" -o "$out/perf.data" -- sleep "$seconds" 2> /dev/null
echo "perf window done; load average $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$out/run.txt"
"$counters" collect -p "$pid" --counters System.Runtime,System.Net.Sockets,Microsoft.AspNetCore.Server.Kestrel --format csv \
  -o "$out/counters.csv" --duration "00:00:00:$seconds" > /dev/null || true
echo "counters window done; load average $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$out/run.txt"
# Every collection's pause, generation and promoted bytes: what the counters' pause total is made of, and whether the
# pauses are long enough to show in a stream's gap between chunks.
taskset -c 1 dotnet bench/AspireChat.Bench/bin/Release/net10.0/AspireChat.Bench.dll gc --pid "$pid" --duration "${seconds}s" \
  --out "$out/gc.nettrace" > "$out/gc.txt" || true
echo "GC window done; load average $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$out/run.txt"
# head ends the pipe early: perf report's SIGPIPE is not a failure.
perf report -i "$out/perf.data" --no-children --sort dso,sym --stdio -g none 2> /dev/null | grep -v '^#' | grep -v '^$' | head -150 > "$out/report.txt" || true
perf report -i "$out/perf.data" --children --sort sym --stdio -g none 2> /dev/null | grep -v '^#' | grep -v '^$' | head -300 > "$out/report-inclusive.txt" || true
# Every sample to the component of its innermost managed frame (native leaves such as allocation helpers and the
# GC included), and the counters per chunk: bench/profile-summary.py.
perf script -i "$out/perf.data" -F comm,ip,sym,dso 2> /dev/null > "$out/perf.script"
{ python3 bench/profile-summary.py "$out"; echo "The collector, pause by pause (gc.txt):"; cat "$out/gc.txt"; } | tee "$out/summary.txt"
wait "$bench" || true
echo "Wrote $out/ (report.txt: self time by symbol; report-inclusive.txt: with callees; counters.csv; gc.txt; run.txt)"
