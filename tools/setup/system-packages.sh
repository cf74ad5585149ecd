#!/usr/bin/env bash
# Installs the system packages Test Agent needs beyond Node and Python: bubblewrap (bwrap), the sandbox for the
# code under test, and Prometheus (promtool: the alert rules' unit tests in `make test`). Installs with apt-get when
# it is there and we are root; otherwise says what to install.
set -euo pipefail
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} with apt-get" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
for package in "${missing[@]}"; do
  case "$package" in
    bubblewrap)
      echo "warning: bwrap not found. Install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install bubblewrap)," >&2
      echo "         or run Test Agent with --no-sandbox for code you trust." >&2 ;;
    prometheus)
      echo "warning: promtool not found: make test checks the alert rules with it. Install Prometheus (Debian/Ubuntu: sudo apt-get install prometheus)." >&2 ;;
  esac
done
