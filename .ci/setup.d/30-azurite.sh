#!/usr/bin/env bash
# Installs Azurite (pinned in internal/emulator/azurite/package.json and
# package-lock.json), the Azure Storage emulator whose queue service the
# queue/azurequeue tests start with node. Idempotent: npm ci runs only when
# the lock file differs from the one last installed.
set -euo pipefail

dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/internal/emulator/azurite"
cd "$dir"
stamp=node_modules/.anyfunc-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -f node_modules/azurite/dist/src/queue/main.js ]]; then
	echo "azurite: already installed"
	exit 0
fi
npm ci --no-audit --no-fund
echo "$want" >"$stamp"
