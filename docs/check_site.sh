#!/usr/bin/env bash
# Check the documentation site as a reader would: build it from this checkout with warnings as
# errors, check its internal links, and take screenshots of the front page, a tutorial with its
# figures and an API page with headless Chromium, for a person to look at.
#
#   docs/check_site.sh [OUT]        (default OUT: /tmp/cfgmft-site-check)
#
# Needs the docs extra in .venv (pip install -e ".[docs]") and Chromium (Debian: apt-get install
# chromium). Writes OUT/html (the site), OUT/linkcheck and OUT/*.png; exits non-zero on a
# warning, a broken internal link or a missing screenshot.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/cfgmft-site-check}
py=${PYTHON:-.venv/bin/python}
mkdir -p "$out"

echo "== build (sphinx-build -W), notebooks executed in quick mode"
t0=$(date +%s)
CFGMFT_QUICK=1 "$py" -m sphinx -W --keep-going -b html -d "$out/doctrees" docs "$out/html"
echo "built in $(( $(date +%s) - t0 )) s: $out/html/index.html"

echo "== internal links (linkcheck; external links are not followed, see linkcheck_ignore in docs/conf.py)"
"$py" -m sphinx -W --keep-going -b linkcheck -d "$out/doctrees" -D nb_execution_mode=off docs "$out/linkcheck"
if grep -E '"status": "(broken|timeout)"' "$out/linkcheck/output.json"; then
  echo "broken internal links" >&2; exit 1
fi

echo "== screenshots"
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  echo "no Chromium found (apt-get install chromium): no screenshots" >&2; exit 1
fi
shot() {  # shot NAME PAGE HEIGHT
  local profile; profile=$(mktemp -d)
  "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --window-size="1280,$3" \
    --screenshot="$out/$1.png" "file://$(realpath "$out/html/$2")" >/dev/null 2>&1 || true
  rm -rf "$profile"
  [ -s "$out/$1.png" ] || { echo "no screenshot of $2" >&2; exit 1; }
  echo "$out/$1.png  <- $2"
}
shot front index.html 1600
shot tutorial tutorials/infinite_class.html 4000
shot api reference/generated/cfgmft.api.html 1600
shot claims results/claims.html 1400
echo "look at the PNGs above: the front page, a tutorial with its figures, an API page, the claims"
