#!/usr/bin/env bash
# Set-up, the pip-only smoke run (scripts/pip_smoke.sh, about 2 minutes), then the whole test suite;
# pytest's "no tests collected" (exit 5) counts as a failure.
# VST3 plugins built with DPF print "DPF warning" lines when the interpreter frees them at exit; they are
# filtered so that pytest's summary stays the last line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/pip_smoke.sh   # the README's pip-only path, in a clean virtual environment
python3 -m pytest tests -q -p no:cacheprovider 2>&1 | grep -v '^DPF warning'
