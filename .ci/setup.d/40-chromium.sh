#!/usr/bin/env bash
# Installs Debian's chromium, the headless browser the local dashboard's
# browser test (examples/todo/cmd/local) loads the dashboard in. Idempotent:
# does nothing when a chromium binary is already on PATH.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
	echo "chromium: already installed ($(chromium --version 2>/dev/null || echo unknown version))"
	exit 0
fi
sudo=""
if [[ $(id -u) -ne 0 ]]; then
	sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "chromium: installed ($(chromium --version 2>/dev/null || echo unknown version))"
