#!/usr/bin/env bash
# Run `cfgmft reproduce --quick` under /usr/bin/time -v and keep its record in
# results/reproduce_quick/: time.txt (the command, the commit, the load average before and after,
# and /usr/bin/time's record), results.json.gz and report.md (the run's own files). The docs and
# the README quote this run's times. Usage: bash scripts/reproduce_quick_timed.sh
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)/rq_out
dest=results/reproduce_quick
mkdir -p "$dest"
hdr1="# command: cfgmft reproduce --quick --out $out (MPLBACKEND=Agg)"
hdr2="# cfgmft commit $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores shared with other jobs, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
MPLBACKEND=Agg /usr/bin/time -v -o "$out.time" .venv/bin/cfgmft reproduce --quick --out "$out" || { echo "the run failed: nothing written" >&2; exit 1; }
{ echo "$hdr1"; echo "$hdr2"; cat "$out.time"; echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"; } > "$dest/time.txt"
cp "$out/report.md" "$dest/" && gzip -9 -n -c "$out/results.json" > "$dest/results.json.gz"
grep -E "Elapsed|User time" "$dest/time.txt"
