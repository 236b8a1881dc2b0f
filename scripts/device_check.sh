#!/usr/bin/env bash
# One prepared call for a lent GPU machine (docs/benchmarks.md, "On a GPU"): the recipe's runs from
# scratch on the bundled trombone bank for $MINUTES (the issue's GPU target: 5 minutes on one
# H100/H200), side by side on the one GPU, then `evaluate` of each run's best.pt (several sets side
# by side), the device tests beside the evaluations. Results land in $OUT (the device tool brings
# back up to 8 files): results.tar.gz (nvidia-smi.txt, gpu-load.csv, tests.log, and per run NAME/:
# train.log, metrics.jsonl, sound.png, eval-SET.log, eval-SET.json) and NAME-best.pt for each run
# whose checkpoint without optimizer state is under the tool's 16 MB a file (`small`: 10 MB).
#
#   here:    bash scripts/device_wheels.sh
#   device:  run  command="bash scripts/device_check.sh"  carry=[".whl"]  timeout_s=600
#   several runs: RUNS="small:;base:--preset base" EVAL_SETS="test:--shipped-melodies;heldout:..."
#   dry run on a CPU: DEVICE=cpu MINUTES=0.3 EVAL_SETS="test:--max-notes 4 --no-velocity-sweep" \
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
TRAIN_ARGS=${TRAIN_ARGS:-}  # train's options beside the defaults, e.g. "--preset base"
# ';'-separated NAME:OPTIONS: each a `train` with those options beside the defaults, all at once
RUNS=${RUNS:-default:$TRAIN_ARGS}
# ';'-separated SET:OPTIONS: each an `evaluate` of every run's best.pt with those options, all at once
EVAL_SETS=${EVAL_SETS:-test:--shipped-melodies}
EVAL_RUNS=${EVAL_RUNS:-all}  # which runs are evaluated there (space-separated names), or all
TESTS_LIMIT=${TESTS_LIMIT:-120}    # seconds each stage may take (the tests took 61 s on an H200)
PREPARE_LIMIT=${PREPARE_LIMIT:-45}
TRAIN_SLACK=${TRAIN_SLACK:-45}  # beyond MINUTES: start-up and the last validation
EVAL_LIMIT=${EVAL_LIMIT:-120}  # one run's test-split evaluation took 43 s on an H200
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] && [ -z "${PYTHON:-}" ] && PY=.venv/bin/python
WORK=$(mktemp -d)
RES="$WORK/results"
mkdir -p "$OUT" "$RES"
export PYTHONUNBUFFERED=1

if ! "$PY" -c "import librosa, mido, natsort, soundfile, soxr" 2>/dev/null && compgen -G ".whl/*.whl" >/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$WORK/site" .whl/*.whl \
    || { echo "error: the wheels in .whl/ did not install" >&2; exit 1; }
  export PYTHONPATH="$WORK/site"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
SR=("$PY" -m samplernn)
stage() { echo "== $(date -u +%T) $*"; }
pack() { tar -czf "$OUT/results.tar.gz" -C "$RES" . ; }
trap pack EXIT

stage "device"
{ nvidia-smi 2>&1 || echo "no nvidia-smi"; "$PY" -c "import torch; print('torch', torch.__version__, 'cuda',
torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"; } \
  >"$RES/nvidia-smi.txt" 2>&1
tail -1 "$RES/nvidia-smi.txt"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -l 5 >"$RES/gpu-load.csv" 2>&1 &
  smi=$!
  trap 'kill "$smi" 2>/dev/null; pack' EXIT
fi

stage "prepare the bundled bank"
timeout "$PREPARE_LIMIT" "${SR[@]}" prepare samplernn/banks/trombone/notes "$WORK/trombone" >"$RES/prepare.log" 2>&1 \
  || { echo "prepare: failed or past its limit"; tail -5 "$RES/prepare.log"; exit 1; }

IFS=';' read -ra runs <<<"$RUNS"
IFS=';' read -ra sets <<<"$EVAL_SETS"
names=()
trains=()
stage "train ${#runs[@]} run(s) side by side, $MINUTES minutes each on $DEVICE"
limit=$("$PY" -c "print(int($MINUTES * 60 + $TRAIN_SLACK))")
for spec in "${runs[@]}"; do
  name=${spec%%:*}; args=${spec#*:}
  names+=("$name"); mkdir -p "$RES/$name"
  # shellcheck disable=SC2086  # args is a list of options
  timeout "$limit" "${SR[@]}" train "$WORK/trombone" --out "$WORK/$name" --max-minutes "$MINUTES" \
    --device "$DEVICE" --quiet $args >"$RES/$name/train.log" 2>&1 &
  trains+=($!)
done
for pid in "${trains[@]}"; do wait "$pid"; done
for name in "${names[@]}"; do
  echo "train $name: $(tail -1 "$RES/$name/train.log")"
  cp "$WORK/$name/metrics.jsonl" "$WORK/$name/sound.png" "$RES/$name/" 2>/dev/null
  # best.pt without its optimizer state, to evaluate again on a CPU; left out when over the device
  # tool's 16 MB a file (`base`: evaluate it there, EVAL_RUNS)
  "$PY" -c "import sys, torch; c = torch.load(sys.argv[1], weights_only=True)
for k in ('optimizer', 'rng', 'hidden', 'train_state_dict'): c.pop(k, None)
torch.save(c, sys.argv[2])" "$WORK/$name/checkpoints/best.pt" "$WORK/$name-best.pt" 2>/dev/null \
    && [ "$(stat -c %s "$WORK/$name-best.pt")" -lt 16000000 ] && cp "$WORK/$name-best.pt" "$OUT/"
done
pack

stage "evaluate best.pt (${#sets[@]} set(s) a run) and the device tests, side by side"
timeout "$TESTS_LIMIT" "$PY" -m pytest -p no:cacheprovider -q -rs tests/generate/test_engine_devices.py \
  tests/train/test_train_devices.py >"$RES/tests.log" 2>&1 &
tests=$!
evals=()
for name in "${names[@]}"; do
  [ "$EVAL_RUNS" = all ] || [[ " $EVAL_RUNS " == *" $name "* ]] || continue
  for spec in "${sets[@]}"; do
    set_name=${spec%%:*}; args=${spec#*:}
    # shellcheck disable=SC2086  # args is a list of options
    timeout "$EVAL_LIMIT" "${SR[@]}" evaluate "$WORK/$name/checkpoints/best.pt" "$WORK/trombone" --device "$DEVICE" \
      --quiet --json "$RES/$name/eval-$set_name.json" $args >"$RES/$name/eval-$set_name.log" 2>&1 &
    evals+=($!)
  done
done
for pid in "${evals[@]}"; do wait "$pid"; done
echo "evaluate: $(find "$RES" -name 'eval-*.json' | wc -l) of ${#evals[@]} reports written"
wait "$tests"
echo "tests: exit $? ($(tail -1 "$RES/tests.log"))"
stage "done"
