#!/usr/bin/env bash
# Create ./.venv (Python 3.11+) with torch 2.13.0 installed first (a plain `torch` requirement
# would pull a multi-GB CUDA build), then this project and its test tools. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
if ! .venv/bin/python -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '2.13.0')" 2>/dev/null; then
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet "torch==${TORCH_VERSION:-2.13.0}"
fi
stamp=.venv/.samplernn-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/pip install --quiet -e ".[dev]"
  touch "$stamp"
fi
