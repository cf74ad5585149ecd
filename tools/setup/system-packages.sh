#!/usr/bin/env bash
# Installs the system packages Test Agent needs beyond Node and Python: bubblewrap (bwrap), the sandbox for the
# code under test, and redis-server, the job queue shared by server replicas (REDIS_URL; the test suite starts its
# own). Installs with apt-get when it is there and we are root; otherwise says what to install.
set -euo pipefail
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} with apt-get (bubblewrap: the sandbox for the code under test; redis-server: the shared job queue)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
for package in "${missing[@]}"; do
  case "$package" in
    bubblewrap)
      echo "warning: bwrap not found. Install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install bubblewrap)," >&2
      echo "         or run Test Agent with --no-sandbox for code you trust." >&2
      ;;
    redis-server)
      echo "warning: redis-server not found. The server's shared job queue (REDIS_URL) and its tests need it" >&2
      echo "         (Debian/Ubuntu: sudo apt-get install redis-server; Fedora: sudo dnf install redis)." >&2
      ;;
  esac
done
