#!/usr/bin/env bash
# Here, before a lent GPU machine is asked for: download into .whl/ (git-ignored) the wheels of the
# packages scripts/device_check.sh needs that the GPU machine's image lacks (its Python 3.12 has
# torch, numpy, scipy, numba, matplotlib, typer, rich and pytest; .library/device/KINDS.md lists
# them), at the versions this checkout's .venv tests with. ~2.5 MB; the device call carries .whl.
set -euo pipefail
cd "$(dirname "$0")/.."
NEEDED="mido natsort soundfile cffi pycparser soxr librosa audioread pooch platformdirs decorator"
pinned=()
for name in $NEEDED; do
  v=$(.venv/bin/python -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p' || true)
  pinned+=("$name${v:+==$v}")
done
rm -rf .whl && mkdir -p .whl
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl "${pinned[@]}"
ls .whl
