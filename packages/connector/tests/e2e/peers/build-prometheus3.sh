#!/usr/bin/env bash
# Builds Prometheus 3 (cmd/prometheus and cmd/promtool) from the Go module proxy with this
# machine's Go, for the end-to-end tests, and prints the directory holding the two binaries.
#
# The version is pinned here, and only here. Prometheus 3.N.M is published on the module proxy as
# v0.3NN.M (`@latest` is an old v2.x+incompatible tag). `go install …@version` is refused because
# Prometheus's go.mod carries replace/exclude directives; those are ignored when Prometheus is a
# dependency, so a throwaway wrapper module requires it and `go build`s the two commands. No web UI
# assets (the `builtinassets` tag): the HTTP API is all the tests use.
#
# Cached: the binaries stay in ~/.cache/prometheus-timestream-connector/prometheus-<version> and Go
# keeps its module and build caches (GOMODCACHE, GOCACHE), so a second run costs well under a
# second; the first, on a fresh machine, about 5 minutes on 2 cores.
set -euo pipefail

PROMETHEUS3_VERSION=3.16.0

major=${PROMETHEUS3_VERSION%%.*}
rest=${PROMETHEUS3_VERSION#*.}
minor=${rest%%.*}
patch=${rest#*.}
module_version=$(printf 'v0.%d%02d.%d' "$major" "$minor" "$patch")
cache=${XDG_CACHE_HOME:-$HOME/.cache}/prometheus-timestream-connector/prometheus-${PROMETHEUS3_VERSION}

built() {
  [ -x "$cache/prometheus" ] && [ -x "$cache/promtool" ] &&
    "$cache/prometheus" --version 2>&1 | grep -q "version ${PROMETHEUS3_VERSION} "
}

if ! built; then
  if ! command -v go >/dev/null; then
    echo "build-prometheus3: Go is not installed; the end-to-end tests build Prometheus ${PROMETHEUS3_VERSION} with it" >&2
    exit 1
  fi
  echo "build-prometheus3: building Prometheus ${PROMETHEUS3_VERSION} (module ${module_version}) with $(go version)" >&2
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cd "$work"
  cat >go.mod <<MOD
module prometheus3build

go 1.26
MOD
  cat >tools.go <<'GO'
//go:build tools

package tools

import (
	_ "github.com/prometheus/prometheus/cmd/prometheus"
	_ "github.com/prometheus/prometheus/cmd/promtool"
)
GO
  # The machine's own Go, never a toolchain download.
  export GOTOOLCHAIN=local GOFLAGS=-mod=mod
  go get "github.com/prometheus/prometheus@${module_version}" >&2
  go mod tidy >&2
  # The version Prometheus reports (--version, its User-Agent, build_info) is the release's.
  ldflags="-X github.com/prometheus/common/version.Version=${PROMETHEUS3_VERSION}"
  ldflags="$ldflags -X github.com/prometheus/common/version.Revision=${module_version}"
  ldflags="$ldflags -X github.com/prometheus/common/version.Branch=release"
  mkdir -p "$work/bin"
  go build -trimpath -ldflags "$ldflags" -o "$work/bin/" \
    github.com/prometheus/prometheus/cmd/prometheus github.com/prometheus/prometheus/cmd/promtool >&2
  mkdir -p "$cache"
  mv "$work/bin/prometheus" "$work/bin/promtool" "$cache/"
  built || {
    echo "build-prometheus3: the built binary does not report version ${PROMETHEUS3_VERSION}" >&2
    exit 1
  }
fi
echo "$cache"
