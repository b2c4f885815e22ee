#!/usr/bin/env bash
# Runs the benchmark sweep of issue 7 and writes docs/benchmarks.md and docs/benchmarks/*.svg.
#   bench/run.sh            the whole sweep (about 10 minutes on a 2-core machine)
#   bench/run.sh --quick    fewer users and shorter runs, to try a change
# Other options are passed to the sweep verb: --targets direct,chatapi,redis,proxy --connections 10000 --out FILE
set -euo pipefail
cd "$(dirname "$0")/.."
# Ten thousand idle WebSockets need ten thousand descriptors in the generator and in each server it starts.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
dotnet build -c Release bench/AspireChat.Bench -nologo -v quiet
dotnet build -c Release bench/AspireChat.Bench.Micro -nologo -v quiet
# The per-token hot path first (about a minute); the report embeds its tables.
rm -rf artifacts/bench-micro && mkdir -p artifacts
dotnet bench/AspireChat.Bench.Micro/bin/Release/net10.0/AspireChat.Bench.Micro.dll --filter '*' --artifacts artifacts/bench-micro > artifacts/bench-micro.log
exec dotnet bench/AspireChat.Bench/bin/Release/net10.0/AspireChat.Bench.dll sweep "$@"
