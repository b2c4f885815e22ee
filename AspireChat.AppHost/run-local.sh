#!/usr/bin/env bash
# Runs AspireChat without Aspire and without a container engine: redis-server if it is installed
# (else ChatApi's in-memory store), ChatApi and Web, configured through the same environment
# variables the AppHost sets. Ctrl+C stops everything it started.
#
#   AspireChat.AppHost/run-local.sh            # http://localhost:5080
#   Model__ApiKey=sk-... AspireChat.AppHost/run-local.sh
#
# Settings (environment): WEB_PORT (5080), CHATAPI_PORT (5081), CONFIGURATION (Release),
# ASPIRECHAT_DATA (where Redis keeps history; default ~/.local/state/aspirechat),
# Model__Provider / Model__ApiKey / Model__Name / Model__Endpoint (passed to ChatApi as they are),
# OTEL_EXPORTER_OTLP_ENDPOINT (passed on, e.g. to a standalone Aspire dashboard).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
configuration="${CONFIGURATION:-Release}"
web_port="${WEB_PORT:-5080}"
chatapi_port="${CHATAPI_PORT:-5081}"
data_dir="${ASPIRECHAT_DATA:-${XDG_STATE_HOME:-$HOME/.local/state}/aspirechat}"
pids=()

stop_all() {
  trap - EXIT INT TERM
  if ((${#pids[@]})); then
    echo "Stopping..."
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 30000))
    listening "$port" || { echo "$port"; return; }
  done
}

# GET $1 and succeed on a 2xx answer (curl if present, else bash's /dev/tcp).
http_ok() {
  if command -v curl >/dev/null; then
    curl -fsS -o /dev/null --max-time 2 "$1"
  else
    local port="${1#http://localhost:}"; port="${port%%/*}"
    local status
    status="$( (exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'GET /%s HTTP/1.0\r\nHost: localhost\r\n\r\n' "${1#*//*/}" >&3 && head -n1 <&3) 2>/dev/null)" || return 1
    [[ "$status" == *" 2"??* ]]
  fi
}

wait_until() {
  local what="$1" pid="$2"; shift 2
  for _ in $(seq 1 300); do
    "$@" && return 0
    kill -0 "$pid" 2>/dev/null || { echo "$what exited before it was ready." >&2; exit 1; }
    sleep 0.2
  done
  echo "$what was not ready within 60 s." >&2
  exit 1
}

# Start a command in the background with its output prefixed by a name; remember its pid.
start() {
  local name="$1"; shift
  "$@" > >(sed -u "s/^/[$name] /") 2>&1 &
  pids+=("$!")
}

for port in "$web_port" "$chatapi_port"; do
  if listening "$port"; then echo "Port $port is in use; set WEB_PORT / CHATAPI_PORT." >&2; exit 1; fi
done

echo "Building ($configuration)..."
dotnet build "$root/AspireChat.Web/AspireChat.Web.csproj" -c "$configuration" -v quiet -nologo
dotnet build "$root/AspireChat.ChatApi/AspireChat.ChatApi.csproj" -c "$configuration" -v quiet -nologo

cache=()
if command -v redis-server >/dev/null; then
  redis_port="$(free_port)"
  # No commas: the password sits inside a comma-separated connection string.
  redis_password="$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
  mkdir -p "$data_dir"
  start redis redis-server --bind 127.0.0.1 --port "$redis_port" --requirepass "$redis_password" \
    --dir "$data_dir" --save 60 1 --appendonly no
  wait_until "redis-server" "${pids[-1]}" listening "$redis_port"
  cache=("ConnectionStrings__cache=localhost:$redis_port,password=$redis_password")
  echo "Redis on port $redis_port; history is kept in $data_dir."
else
  echo "redis-server is not installed: ChatApi keeps history in memory (lost when it stops)."
fi

# The same contract the AppHost fulfils: WithReference(cache), WithReference(chatapi), OTEL_SERVICE_NAME.
start chatapi env "${cache[@]}" \
  ASPNETCORE_URLS="http://localhost:$chatapi_port" ASPNETCORE_ENVIRONMENT=Development OTEL_SERVICE_NAME=chatapi \
  dotnet "$root/AspireChat.ChatApi/bin/$configuration/net10.0/AspireChat.ChatApi.dll"
chatapi_pid="${pids[-1]}"
start web env \
  ASPNETCORE_URLS="http://localhost:$web_port" ASPNETCORE_ENVIRONMENT=Development OTEL_SERVICE_NAME=web \
  services__chatapi__http__0="http://localhost:$chatapi_port" CHATAPI_HTTP="http://localhost:$chatapi_port" \
  dotnet "$root/AspireChat.Web/bin/$configuration/net10.0/AspireChat.Web.dll"
web_pid="${pids[-1]}"

wait_until "ChatApi" "$chatapi_pid" http_ok "http://localhost:$chatapi_port/health"
wait_until "Web" "$web_pid" http_ok "http://localhost:$web_port/health"

echo
echo "AspireChat is running at http://localhost:$web_port  (Ctrl+C to stop)"
echo

# Whichever process ends first (or Ctrl+C) ends the run; the EXIT trap stops the rest.
wait -n "${pids[@]}"
echo "A process exited; stopping the others." >&2
exit 1
