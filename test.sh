#!/usr/bin/env bash
# The test command (README.md): installs what the tests need where it can, then runs the page's own tests and
# `dotnet test`. Its arguments go to `dotnet test`: ./test.sh --filter "FullyQualifiedName~Redis"
set -euo pipefail
# Bash alone until the prerequisites are known: nothing else may be missing yet.
cd "${BASH_SOURCE[0]%/*}"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Playwright drives Debian's Chromium; it must never download a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

# Debian's packages the tests use: real Redis servers (and redis-cli, which forms the test clusters), the system
# Chromium at the path the browser tests launch, and Node.js with npm (the page's tests; its libraries at build time).
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)

if ((${#missing[@]} > 0)); then
  install="sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
  if ((EUID == 0)); then
    as_root=()
  elif command -v sudo >/dev/null; then
    as_root=(sudo)
  else
    as_root=(cannot)
  fi

  if [[ ${as_root[*]} == cannot ]] || ! command -v apt-get >/dev/null; then
    echo "The tests need ${missing[*]}; this script installs them with apt-get as root or with sudo, and cannot here." >&2
    echo "Install them with:" >&2
    echo "  $install" >&2
    exit 1
  fi

  echo "Installing ${missing[*]}"
  if ! { "${as_root[@]}" apt-get update -qq &&
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
    echo "Installing ${missing[*]} failed. Install them with:" >&2
    echo "  $install" >&2
    exit 1
  fi
fi

if ! command -v dotnet >/dev/null; then
  echo "The tests need the .NET SDK named in global.json (https://dotnet.microsoft.com/download)." >&2
  exit 1
fi

# The page's own logic, with Node's test runner. Its npm packages first (the Web build runs the same npm ci, and skips it
# when the lock file has not changed since): the Node tests load the OpenTelemetry SDK from them.
(cd AspireChat.Web && npm ci --ignore-scripts --no-audit --no-fund)
node --test AspireChat.Web/tests/*.test.js

# Everything else: unit, integration, browser, contract and Aspire tests.
dotnet test "$@"
