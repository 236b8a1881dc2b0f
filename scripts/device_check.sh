#!/usr/bin/env bash
# One prepared call for a lent GPU machine (docs/benchmarks.md, "On a GPU"): the device tests, then
# the default recipe from scratch on the bundled trombone bank for $MINUTES (the issue's GPU target:
# 5 minutes on one H100/H200), then `evaluate` of its best.pt (test split, velocities, the shipped
# melodies). Results land in $OUT (the device tool brings back up to 8 files): nvidia-smi.txt,
# tests.log, train.log, the run's metrics.jsonl (samples/s, val NLL, sound score) and sound.png,
# evaluate.log, evaluate.json and best.pt (no optimizer state).
#
#   here:    bash scripts/device_wheels.sh
#   device:  run  command="bash scripts/device_check.sh"  carry=[".whl"]  timeout_s=600
#   dry run on a CPU: DEVICE=cpu MINUTES=0.3 EVAL_ARGS="--max-notes 4 --no-velocity-sweep" \
#                     OUT=/tmp/dc bash scripts/device_check.sh
#   (on a loaded 2-core machine give the stages more time: TESTS_LIMIT=900 PREPARE_LIMIT=900
#   TRAIN_SLACK=900 EVAL_LIMIT=900)
#
# Every stage has its own time limit, so that a slow one still leaves the others' files; with the
# defaults the run ends within 9.5 minutes (the device tool's limit for one command is 10).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/device_check}
DEVICE=${DEVICE:-cuda}
MINUTES=${MINUTES:-5}
EVAL_ARGS=${EVAL_ARGS:---shipped-melodies}  # evaluate's options beside the test split
TRAIN_ARGS=${TRAIN_ARGS:-}  # train's options beside the defaults, e.g. "--preset base"
TESTS_LIMIT=${TESTS_LIMIT:-75}    # seconds each stage may take (the tests took 61 s on an H200)
PREPARE_LIMIT=${PREPARE_LIMIT:-45}
TRAIN_SLACK=${TRAIN_SLACK:-45}  # beyond MINUTES: start-up and the last validation
EVAL_LIMIT=${EVAL_LIMIT:-120}  # the evaluation took 43 s there
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] && [ -z "${PYTHON:-}" ] && PY=.venv/bin/python
WORK=$(mktemp -d)
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1

if ! "$PY" -c "import librosa, mido, natsort, soundfile, soxr" 2>/dev/null && compgen -G ".whl/*.whl" >/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$WORK/site" .whl/*.whl \
    || { echo "error: the wheels in .whl/ did not install" >&2; exit 1; }
  export PYTHONPATH="$WORK/site"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
SR=("$PY" -m samplernn)
stage() { echo "== $(date -u +%T) $*"; }

stage "device"
{ nvidia-smi 2>&1 || echo "no nvidia-smi"; "$PY" -c "import torch; print('torch', torch.__version__, 'cuda',
torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"; } \
  >"$OUT/nvidia-smi.txt" 2>&1
tail -1 "$OUT/nvidia-smi.txt"

stage "device tests"
timeout "$TESTS_LIMIT" "$PY" -m pytest -p no:cacheprovider -q -rs tests/generate/test_engine_devices.py \
  tests/train/test_train_devices.py >"$OUT/tests.log" 2>&1
echo "tests: exit $? ($(tail -1 "$OUT/tests.log"))"

stage "prepare the bundled bank"
timeout "$PREPARE_LIMIT" "${SR[@]}" prepare samplernn/banks/trombone/notes "$WORK/trombone" >"$WORK/prepare.log" 2>&1 \
  || { echo "prepare: failed or past its limit"; tail -5 "$WORK/prepare.log"; exit 1; }

stage "train the default recipe from scratch, $MINUTES minutes on $DEVICE"
limit=$("$PY" -c "print(int($MINUTES * 60 + $TRAIN_SLACK))")
# shellcheck disable=SC2086  # TRAIN_ARGS is a list of options
timeout "$limit" "${SR[@]}" train "$WORK/trombone" --out "$WORK/run" --max-minutes "$MINUTES" --device "$DEVICE" \
  --quiet $TRAIN_ARGS >"$OUT/train.log" 2>&1
echo "train: exit $? ($(tail -1 "$OUT/train.log"))"
cp "$WORK/run/metrics.jsonl" "$WORK/run/sound.png" "$OUT/" 2>/dev/null
# best.pt without its optimizer state (a third of the size: 10 MB for `small`), to evaluate again on
# a CPU; left out when over the device tool's 16 MB a file (`base`: evaluate it here, below)
"$PY" -c "import sys, torch; c = torch.load(sys.argv[1], weights_only=True)
for k in ('optimizer', 'rng', 'hidden', 'train_state_dict'): c.pop(k, None)
torch.save(c, sys.argv[2])" "$WORK/run/checkpoints/best.pt" "$WORK/best.pt" 2>/dev/null \
  && [ "$(stat -c %s "$WORK/best.pt")" -lt 16000000 ] && cp "$WORK/best.pt" "$OUT/"

stage "evaluate best.pt"
# shellcheck disable=SC2086  # EVAL_ARGS is a list of options
timeout "$EVAL_LIMIT" "${SR[@]}" evaluate "$WORK/run/checkpoints/best.pt" "$WORK/trombone" --device "$DEVICE" \
  --json "$OUT/evaluate.json" $EVAL_ARGS >"$OUT/evaluate.log" 2>&1
echo "evaluate: exit $? ($(grep -c . "$OUT/evaluate.log") lines in evaluate.log)"
stage "done"
