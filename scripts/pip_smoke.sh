#!/usr/bin/env bash
# The pip-only path of the README (macOS and Windows producers: no Debian packages), checked on this
# machine: a clean virtual environment, torch's CPU wheel and a plain (non-editable) `pip install` of the
# package, run away from the checkout with no plugin folder visible (empty LADSPA_PATH, LV2_PATH and
# VST3_PATH; STITO_SYSTEM_PLUGINS=0 leaves every format's standard folders out). `stito demo` must
# succeed with the builtin chain, and `stito plugins` must say in one line per format what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
quiet() {  # run "$@" with its output in a log, shown only when it fails
  "$@" >"$tmp/log" 2>&1 || { cat "$tmp/log"; echo "pip smoke: failed: $*"; exit 1; }
}
quiet python3 -m venv "$tmp/venv"
quiet "$tmp/venv/bin/python" -m pip install -q "torch==2.13.0"
quiet "$tmp/venv/bin/python" -m pip install -q .
stito="$tmp/venv/bin/stito"
cd "$tmp"
export LADSPA_PATH="" LV2_PATH="" VST3_PATH="" STITO_SYSTEM_PLUGINS=0
quiet "$stito" demo
test -s stito-demo/input.matched.wav && test -s stito-demo/input.matched.json
"$stito" plugins > plugins.txt 2>&1
for format in vst3 ladspa lv2; do
  [ "$(grep -c "^$format: " plugins.txt)" -eq 1 ] || { cat plugins.txt; echo "pip smoke: no single line for $format"; exit 1; }
done
grep -q "^0 of 0 plugins load" plugins.txt || { cat plugins.txt; echo "pip smoke: plugins were visible"; exit 1; }
echo "pip smoke: stito demo ran from a plain pip install with no plugin folders; stito plugins said:"
sed 's/^/  /' plugins.txt
# A VST3 bundle loads through pedalboard's PyPI wheel alone (here a Debian-built one, if installed).
if [ -d /usr/lib/vst3/ZamEQ2.vst3 ]; then
  quiet "$stito" chains /usr/lib/vst3/ZamEQ2.vst3
  echo "pip smoke: stito chains /usr/lib/vst3/ZamEQ2.vst3 showed its parameters"
fi
