#!/usr/bin/env bash
# Installs @vercel/cosmosdb-server (pinned in internal/emulator/cosmosdb-server/
# package.json and package-lock.json), the Cosmos DB implementation that the
# store/azurecosmos tests start with node. Idempotent: npm ci runs only when
# the lock file differs from the one last installed.
set -euo pipefail

dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/internal/emulator/cosmosdb-server"
cd "$dir"
stamp=node_modules/.anyfunc-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -f node_modules/@vercel/cosmosdb-server/lib/cli.js ]]; then
	echo "cosmosdb-server: already installed"
	exit 0
fi
npm ci --no-audit --no-fund
echo "$want" >"$stamp"
