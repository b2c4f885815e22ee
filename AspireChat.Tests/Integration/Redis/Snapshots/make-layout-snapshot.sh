#!/usr/bin/env bash
# Makes layout-<commit>.rdb and .json: what ChatApi at <commit> writes to Redis, for RedisLegacyLayoutTests (default
# fbaacbb, the last release before issue 17's cluster-safe keys) and RedisListLayoutTests (021e57e, the hash-tagged
# message list before the per-turn layout). ChatApi of that commit, built from this repository's
# history, with its offline model, on a redis-server of its own: one owner, a conversation of two finished turns, and a
# conversation of one finished turn and a reply cut by kill -9 in mid-stream (its instance gone, as in an upgrade).
# Once the dead reply's leases have lapsed every key is made persistent (PERSIST: a snapshot must not expire before the
# test reads it; nothing else is changed) and the server saves its RDB.
set -euo pipefail
commit=${1:-fbaacbb}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

mkdir -p "$work/src"
git -C "$repo" archive "$commit" | tar -x -C "$work/src"
dotnet build "$work/src/AspireChat.ChatApi" -c Release -o "$work/app" -v q -nologo

redis_port=$(free_port)
redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$work" --dbfilename layout.rdb --save "" --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
api_port=$(free_port)
start_api() {
  ASPNETCORE_URLS="http://127.0.0.1:$api_port" ConnectionStrings__cache="127.0.0.1:$redis_port" Model__Provider=Offline \
    Model__Offline__TimeToFirstToken=00:00:00 Model__Offline__TokensPerSecond="$1" \
    dotnet "$work/app/AspireChat.ChatApi.dll" >>"$work/api.log" 2>&1 &
  api_pid=$!
  pids+=($api_pid)
  until curl -sf "http://127.0.0.1:$api_port/health" >/dev/null; do sleep 0.5; done
}
# One message over ChatApi's event stream (POST /api/chat), as the owner in the cookie jar; prints the frames' JSON.
chat() { curl -sN -b "$work/jar" -c "$work/jar" -H 'Content-Type: application/json' -d "$1" "http://127.0.0.1:$api_port/api/chat" | sed -n 's/^data: //p'; }
field() { python3 -c "import json,sys; print(next(json.loads(l)['$2'] for l in sys.stdin if json.loads(l)['type']=='$1'))"; }

start_api 0
first=$(chat '{"content":"Hello"}' | field start conversationId)
chat "{\"content\":\"And then?\",\"conversationId\":\"$first\"}" >/dev/null
second=$(chat '{"content":"Count to ten"}' | field start conversationId)
kill "$api_pid"; wait "$api_pid" 2>/dev/null || true

# A slow model, killed once a few chunks are out.
start_api 4
chat "{\"content\":\"Tell me a long story\",\"conversationId\":\"$second\"}" >"$work/cut" &
until [ "$(grep -c '"type":"chunk"' "$work/cut" || true)" -ge 4 ]; do sleep 0.2; done
kill -9 "$api_pid"
cut=$(field start messageId <"$work/cut")
sleep 8   # Replies:Lease (6 s): the conversation's and the producer's leases lapse.

cli() { redis-cli -p "$redis_port" "$@"; }
cli --scan --pattern '*' | while read -r key; do cli PERSIST "$key" >/dev/null; done
owner=$(cli --scan --pattern 'aspirechat:owner:*' | grep -v ':search:' | sed 's/^aspirechat:owner:{\{0,1\}\([^{}:]*\)}\{0,1\}:conversations$/\1/')
cli SAVE >/dev/null
cp "$work/layout.rdb" "$here/layout-$commit.rdb"
cat >"$here/layout-$commit.json" <<JSON
{"commit":"$commit","owner":"$owner","finished":"$first","interrupted":"$second","interruptedReply":"$cut","keys":[$(cli --scan --pattern '*' | sort | sed 's/.*/"&"/' | paste -sd,)]}
JSON
echo "layout-$commit: $(cli DBSIZE) keys"
