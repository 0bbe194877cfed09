#!/usr/bin/env bash
# The pip-only path of the README (macOS and Windows producers: no Debian packages), checked on this
# machine: a clean virtual environment, torch's CPU wheel and a plain (non-editable) `pip install` of a
# fresh copy of the checkout's tracked files, run away from the checkout with no plugin folder visible
# (empty LADSPA_PATH, LV2_PATH and VST3_PATH; STITO_SYSTEM_PLUGINS=0 leaves every format's standard
# folders out). `stito demo` must succeed with the builtin chain from the installed copy of the shipped
# config, and `stito plugins` must say in one line per format what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset PYTHONPATH
fail() { [ -f "$tmp/log" ] && cat "$tmp/log"; echo "pip smoke: $*"; exit 1; }
quiet() {  # run "$@" with its output in a log, shown only when it fails
  "$@" >"$tmp/log" 2>&1 || fail "failed: $*"
}
mkdir "$tmp/src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then   # tracked files only: no stale build/
  git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$tmp/src"
else
  tar --exclude=./build --exclude=./.venv --exclude='*.egg-info' -cf - . | tar -xf - -C "$tmp/src"
fi
quiet python3 -m venv "$tmp/venv"
# On this project's machines torch==2.13.0 resolves to the CPU build on disk (never CUDA wheels).
quiet "$tmp/venv/bin/python" -m pip install -q "torch==2.13.0"
quiet "$tmp/venv/bin/python" -m pip install -q "$tmp/src"
stito="$tmp/venv/bin/stito"
cd "$tmp"
quiet "$tmp/venv/bin/python" -c "import sys; from stito_core.shipped import CONFIG_DIR as c; \
assert str(c).startswith(sys.prefix), f'config from {c}, not from the install'"
export LADSPA_PATH="" LV2_PATH="" VST3_PATH="" STITO_SYSTEM_PLUGINS=0
quiet "$stito" demo
test -s stito-demo/input.matched.wav || fail "stito demo wrote no input.matched.wav"
test -s stito-demo/input.matched.json || fail "stito demo wrote no input.matched.json"
"$stito" plugins > "$tmp/log" 2>&1 || fail "stito plugins failed"
for format in vst3 ladspa lv2; do
  [ "$(grep -c "^$format: " "$tmp/log")" -eq 1 ] || fail "stito plugins has no single line for $format"
done
grep -q "^0 of 0 plugins load" "$tmp/log" || fail "plugins were visible"
echo "pip smoke: stito demo ran from a plain pip install with no plugin folders; stito plugins said:"
sed 's/^/  /' "$tmp/log"
# A VST3 bundle loads through pedalboard's PyPI wheel alone (here a Debian-built one, if installed).
if [ -d /usr/lib/vst3/ZamEQ2.vst3 ]; then
  quiet "$stito" chains /usr/lib/vst3/ZamEQ2.vst3
  echo "pip smoke: stito chains /usr/lib/vst3/ZamEQ2.vst3 showed its parameters"
fi
