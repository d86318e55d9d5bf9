#!/usr/bin/env bash
# Builds the to-do example's deployable artifacts into dist/ at the
# repository root:
#   dist/aws/bootstrap.zip   Lambda, provided.al2023 arm64 (-tags lambda.norpc)
#   dist/gcp/                the source directory `gcloud functions deploy` uploads
#   dist/azure/ + azure.zip  the Functions app: host.json, todo/, todo-events/ and repair-stats/ function.json, handler (linux/amd64)
#   dist/monitoring/         alarms and dashboards as code: gcp/ (Cloud Monitoring alert
#                            policies and dashboard), azure/ (ARM template: metric and log
#                            alerts, availability test); AWS's are in the SAM template
# Usage: examples/todo/deploy/build.sh [aws|gcp|azure|monitoring|all]   (default all)
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
deploy="$root/examples/todo/deploy"
dist="$root/dist"
ldflags="-s -w"

zipdir() { # zipdir DIR OUT: zip the contents of DIR into OUT
  local dir=$1 out=$2
  rm -f "$out"
  if command -v zip >/dev/null; then
    (cd "$dir" && zip -qr -X "$out" .)
  else
    python3 - "$dir" "$out" <<'PY'
import os, sys, zipfile
d, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for base, _, files in os.walk(d):
        for f in sorted(files):
            p = os.path.join(base, f)
            info = zipfile.ZipInfo(os.path.relpath(p, d))
            info.external_attr = (os.stat(p).st_mode & 0o777) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, open(p, "rb").read())
PY
  fi
}

build_aws() {
  rm -rf "$dist/aws" && mkdir -p "$dist/aws/pkg"
  (cd "$root" && GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath \
    -ldflags "$ldflags" -o "$dist/aws/pkg/bootstrap" ./examples/todo/cmd/lambda)
  zipdir "$dist/aws/pkg" "$dist/aws/bootstrap.zip"
  echo "built $dist/aws/bootstrap.zip"
}

# Cloud Functions builds Go from source and wants go.mod at the root of what
# it uploads, with the function's package registered from there. The staging
# directory holds a one-file root package that imports examples/todo/gcp, a
# copy of this module's source, a go.mod that replaces the module with that
# copy, and vendor/ so the build needs no module download.
#
# The copy is the work tree, as the AWS and Azure builds compile it: in a git
# checkout, the tracked files as they are on disk (uncommitted edits
# included, through `git stash create`, which records them in a commit
# object without changing the work tree or the stash list); files git does
# not track are left out, with a warning naming them. Outside git, the whole
# directory.
#
# Google's Go buildpack (GoogleCloudPlatform/buildpacks, go/functions_framework)
# refuses a go.mod whose module path has no dot in its first element, so the
# root module is example.com/todofn. It generates its own main package, which
# only blank-imports the function's package when that package imports
# functions-framework-go/functions itself (otherwise it calls
# todofn.<entry point>, which does not exist here: the function is registered
# by name in examples/todo/gcp's init); hence that import in fn.go.
build_gcp() {
  local out="$dist/gcp"
  rm -rf "$out" && mkdir -p "$out/anyfunc"
  if git -C "$root" rev-parse --verify -q HEAD >/dev/null 2>&1; then
    local rev untracked
    rev=$(git -C "$root" stash create 2>/dev/null || true)
    if [ -n "$rev" ]; then
      echo "build.sh: gcp: staging the work tree, with uncommitted changes to tracked files ($(git -C "$root" rev-parse --short HEAD) + edits)" >&2
    else
      rev=HEAD
    fi
    untracked=$(git -C "$root" ls-files --others --exclude-standard -- . ':!dist')
    if [ -n "$untracked" ]; then
      echo "build.sh: gcp: warning: files git does not track are not staged (git add them to include them):" >&2
      printf '%s\n' "$untracked" | sed 's/^/  /' >&2
    fi
    git -C "$root" archive --format=tar "$rev" | tar -x -C "$out/anyfunc"
  else
    (cd "$root" && tar --exclude=./dist --exclude=node_modules --exclude=./.git -cf - .) | tar -x -C "$out/anyfunc"
  fi
  rm -rf "$out/anyfunc/internal/bench" "$out/anyfunc/dist"
  cat > "$out/fn.go" <<'GO'
// Package todofn is the root package Cloud Functions builds: it registers
// the to-do example's function "Todo" (see examples/todo/gcp).
package todofn

import (
	// Importing the functions package here makes Google's Go buildpack
	// generate a main that blank-imports this package and serves the
	// function registered under FUNCTION_TARGET (the entry point, Todo),
	// rather than one that calls todofn.Todo.
	_ "github.com/GoogleCloudPlatform/functions-framework-go/functions"

	_ "github.com/anyfunc/anyfunc/examples/todo/gcp"
)
GO
  local gover
  gover=$(cd "$root" && go list -m -f '{{.GoVersion}}')
  cat > "$out/go.mod" <<MOD
module example.com/todofn

go $gover

require github.com/anyfunc/anyfunc v0.0.0

replace github.com/anyfunc/anyfunc => ./anyfunc
MOD
  cp "$root/go.sum" "$out/go.sum"
  (cd "$out" && go mod tidy && go mod vendor && go build ./...)
  cp "$deploy/gcp/firestore.indexes.json" "$deploy/gcp/firebase.json" "$out/"
  echo "built $out (deploy with the command in examples/todo/deploy/gcp/README.md)"
}

build_azure() {
  local out="$dist/azure"
  rm -rf "$out" && mkdir -p "$out/todo"
  cp "$deploy/azure/host.json" "$out/host.json"
  cp "$deploy/azure/todo/function.json" "$out/todo/function.json"
  for fn in todo-events repair-stats; do
    mkdir -p "$out/$fn" && cp "$deploy/azure/$fn/function.json" "$out/$fn/function.json"
  done
  (cd "$root" && GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" \
    -o "$out/handler" ./examples/todo/cmd/azure)
  zipdir "$out" "$dist/azure.zip"
  echo "built $dist/azure.zip"
}

# The monitoring definitions are deployed as they are (see each cloud's
# README for the gcloud and az commands); the build checks that each is
# JSON and stages them together.
build_monitoring() {
  local out="$dist/monitoring"
  rm -rf "$out" && mkdir -p "$out/gcp" "$out/azure"
  cp "$deploy"/gcp/monitoring/*.json "$out/gcp/"
  cp "$deploy"/azure/monitoring/*.json "$out/azure/"
  for f in "$out"/gcp/*.json "$out"/azure/*.json; do
    python3 -m json.tool "$f" >/dev/null || { echo "build.sh: $f is not JSON" >&2; exit 1; }
  done
  echo "built $out (gcloud and az commands in examples/todo/deploy/{gcp,azure}/README.md)"
}

case "${1:-all}" in
  aws) build_aws ;;
  gcp) build_gcp ;;
  azure) build_azure ;;
  monitoring) build_monitoring ;;
  all) build_aws; build_gcp; build_azure; build_monitoring ;;
  *) echo "usage: $0 [aws|gcp|azure|monitoring|all]" >&2; exit 2 ;;
esac
