#!/usr/bin/env bash
# Installs what waihu needs on a Debian machine, skipping what is there.
#   install-deps.sh run   — to build and run (Go, Node.js/npm, speech engines)
#   install-deps.sh test  — also what the tests need (Chromium, SIPp, MariaDB, Redis)
# GPL engines (espeak-ng, flite, pocketsphinx) stay separate programs that
# waihu runs as subprocesses; nothing of theirs is linked into the binary.
set -euo pipefail
mode=${1:-run}

run_pkgs=(espeak-ng flite pocketsphinx pocketsphinx-en-us sox libsox-fmt-base)
test_pkgs=(chromium sip-tester mariadb-server redis-server)

need=()
for p in "${run_pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ "$mode" = test ]; then
  for p in "${test_pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
fi

if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq || true
  if ! $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"; then
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
  fi
fi

if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
  echo "Go is not installed: install Go 1.26 from https://go.dev/dl/ (Debian's golang package is too old)." >&2
  exit 1
fi
echo "dependencies ok ($mode)"
