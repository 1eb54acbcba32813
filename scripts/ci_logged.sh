#!/usr/bin/env bash
# Run CI (.ci/run) on a fresh clone of this repository's HEAD, as CI does (CI=true, ../shared
# beside it), and write its output to results/ci/ci_log.txt between a header (commit, start time,
# load average) and a footer (end time, exit status): the CI time the install guide quotes.
# Usage: bash scripts/ci_logged.sh [SHARED_DIR]   (default: ../shared)
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "${1:-$repo/../shared}" 2>/dev/null && pwd) || { echo "ci_logged: no shared folder at ${1:-$repo/../shared}" >&2; exit 2; }
commit=$(git -C "$repo" rev-parse --short HEAD)
work=$(mktemp -d)
git clone -q "$repo" "$work/main" && ln -s "$shared" "$work/shared" || { echo "ci_logged: could not clone or link" >&2; exit 2; }
mkdir -p "$repo/results/ci"
log="$repo/results/ci/ci_log.txt"
{
  echo "# CI of commit $commit in a fresh clone (CI=true bash .ci/run), $(nproc) cores, started $(date -u +%Y-%m-%dT%H:%M:%SZ), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  (cd "$work/main" && CI=true bash .ci/run 2>&1)
  rc=$?
  echo "# ended $(date -u +%Y-%m-%dT%H:%M:%SZ), rc $rc"
} > "$log.part"
mv "$log.part" "$log"
rm -rf "$work"
tail -3 "$log"
