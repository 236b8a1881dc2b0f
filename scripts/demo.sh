#!/usr/bin/env bash
# Set up the environment if needed, then run the main job: `samplernn demo` (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
exec .venv/bin/samplernn demo "$@"
