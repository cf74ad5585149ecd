#!/usr/bin/env bash
# Installs the system packages Test Agent needs beyond Node and Python: bubblewrap (bwrap), the sandbox for the
# code under test. Installs with apt-get when it is there and we are root; otherwise says what to install.
set -euo pipefail
if command -v bwrap >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing bubblewrap (the sandbox for the code under test) with apt-get" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null
  exit 0
fi
echo "warning: bwrap not found. Install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install bubblewrap)," >&2
echo "         or run Test Agent with --no-sandbox for code you trust." >&2
