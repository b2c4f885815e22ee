#!/usr/bin/env bash
# Issue 18's method (docs/benchmarks.md, "ChatApi on its own core"): ChatApi alone on core 0, the mock and the load
# generator on core 1. This checkout's ChatApi and a baseline commit's, built from this repository's own history into
# artifacts/baselines/, run the same scenarios in the same run; the figures go side by side into docs/benchmarks.md.
#   bench/run.sh                        this build and 2b598c5 (30 to 60 minutes: each of the 8 ChatApi processes is
#                                       warmed until its JIT is quiet, up to 5 minutes each)
#   bench/run.sh --quick                fewer loads, a shorter warm-up (up to 150 s a process) and fewer idle
#                                       connections, to try the method or check a change
#   bench/run.sh --baseline abc1234     another baseline commit (several: --baseline abc1234,def5678)
#   bench/run.sh --no-baseline          this build only
#   bench/run.sh --sweep [--quick]      the older sweep on shared cores (issue 7), which writes the rest of the file
# Other options go to the pinned verb: --levels 250,500,1000 --errors-at 2000 --stores memory,redis
# --redis-core harness|server --max-warm-up 300s --connections 10000 --out FILE
# --stores takes memory, redis (one redis-server) and cluster: a local Redis Cluster of three masters (redis-server
# --cluster-enabled yes, persistence off, formed by redis-cli --cluster create --cluster-replicas 0) on the core one
# redis-server gets, ChatApi's ConnectionStrings__cache listing the three; this build only (the baselines predate
# cluster support). With redis and cluster the report sets them side by side (issue 17's goals):
#   bench/run.sh --no-baseline --stores redis,cluster --levels 100,250,1000
set -euo pipefail
cd "$(dirname "$0")/.."
# Ten thousand idle WebSockets need ten thousand descriptors in the generator and in each server it starts.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

baselines=2b598c5
sweep=false
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --baseline) baselines="$2"; shift 2 ;;
    --no-baseline) baselines=""; shift ;;
    --sweep) sweep=true; shift ;;
    *) args+=("$1"); shift ;;
  esac
done

dotnet build -c Release bench/AspireChat.Bench -nologo -v quiet
bench=bench/AspireChat.Bench/bin/Release/net10.0/AspireChat.Bench.dll

if [ "$sweep" = true ]; then
  dotnet build -c Release bench/AspireChat.Bench.Micro -nologo -v quiet
  # The per-token hot path first (about a minute); the report embeds its tables.
  rm -rf artifacts/bench-micro && mkdir -p artifacts
  dotnet bench/AspireChat.Bench.Micro/bin/Release/net10.0/AspireChat.Bench.Micro.dll --filter '*' --artifacts artifacts/bench-micro > artifacts/bench-micro.log
  exec dotnet "$bench" sweep "${args[@]}"
fi

# Each baseline: its tree from git (never a work tree of this repository, never committed), its ChatApi built Release.
builds=()
for commit in ${baselines//,/ }; do
  sha=$(git rev-parse --short=7 "$commit^{commit}")
  dir="artifacts/baselines/$sha"
  if [ ! -f "$dir/AspireChat.ChatApi/AspireChat.ChatApi.csproj" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    git archive "$sha" | tar -x -C "$dir"
  fi
  dotnet build -c Release "$dir/AspireChat.ChatApi" -nologo -v quiet
  builds+=("$sha=$dir/AspireChat.ChatApi/bin/Release/net10.0/AspireChat.ChatApi.dll")
done

baseline_args=()
if [ ${#builds[@]} -gt 0 ]; then
  baseline_args=(--baseline "$(IFS=,; echo "${builds[*]}")")
fi
# The pinned verb pins itself (and so the mock it starts) to the harness's core and starts ChatApi under taskset.
exec dotnet "$bench" pinned "${baseline_args[@]}" "${args[@]}"
