#!/usr/bin/env bash
# Set up the environment if needed, then run the test suite (and ruff).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
