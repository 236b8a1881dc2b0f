#!/usr/bin/env bash
# The recipe of the shipped model samplernn/pretrained/trombone-small.pt (see MODEL_CARD.md):
# prepare the bundled bank, train with the defaults for 120 minutes (one `samplernn train`, no
# other option), ship the run's best.pt (chosen by the sound check) as float16, evaluate it on the
# test split and on the shipped and held-out melodies.
#
#   bash recipes/trombone-small.sh [--dry-run] [--baseline] [WORK_DIR]
#
#   --dry-run   print every command, run none
#   --baseline  also train the unconditional baseline the same way (its NLL is the card's NLL bar)
#   WORK_DIR    where everything goes [default: runs/recipe-trombone-small]
#
# Two hours on both cores of a 2-core CPU (four with --baseline). A finished run leaves
# WORK_DIR/<tag>.done and is skipped when the script runs again; an interrupted one continues
# with `samplernn train … --resume`. The numbers will not match the shipped model's bit for bit:
# the steps a run makes in its minutes, and so where its schedule ends, depend on the CPU.
set -euo pipefail
cd "$(dirname "$0")/.."

DRY=0
BASELINE=0
WORK=runs/recipe-trombone-small
for arg in "$@"; do
  case "$arg" in
    --dry-run) DRY=1 ;;
    --baseline) BASELINE=1 ;;
    -*) echo "unknown option: $arg" >&2; exit 2 ;;
    *) WORK=$arg ;;
  esac
done

PY=${PYTHON:-.venv/bin/python}
SAMPLERNN=("$PY" -m samplernn.cli)
BANK=$("$PY" -c 'from samplernn.common.paths import BUNDLED_BANK; print(BUNDLED_BANK)')

run() {
  echo "+ $*"
  if [ "$DRY" = 0 ]; then "$@"; fi
}

# train TAG [OPTION…]: the default recipe for 120 minutes, seed 0; resumed where it stopped.
train() {
  local tag=$1 out="$WORK/$1"
  shift
  [ ! -f "$WORK/$tag.done" ] || return 0
  if [ -d "$out" ]; then
    run "${SAMPLERNN[@]}" train "$WORK/bank" --out "$out" --resume
  else
    run "${SAMPLERNN[@]}" train "$WORK/bank" --out "$out" --max-minutes 120 --seed 0 "$@"
  fi
  run touch "$WORK/$tag.done"
}

[ -d "$WORK/bank" ] || run "${SAMPLERNN[@]}" prepare "$BANK" "$WORK/bank"
train cond
[ "$BASELINE" = 0 ] || train uncond --no-conditioning

# Ship: float16 weights, no optimiser state, the checkpoint's own sampling temperature (1.0).
CARD='{"preset": "small", "level_conditioning": true, "pre_emphasis": 0.7, "scheduled_sampling": 0.5, "lineage": "one samplernn train with the default recipe, --max-minutes 120 --seed 0; best.pt chosen by the sound check", "recipe": "recipes/trombone-small.sh"}'
run "$PY" scripts/ship_model.py "$WORK/cond/checkpoints/best.pt" "$WORK/trombone-small.pt" --card "$CARD"

# The card's numbers: three seeds on the test split (NLL bar: the unconditional baseline), then
# the shipped melodies and both held-out sets (melodies_heldout, melodies_fresh).
EVAL=("${SAMPLERNN[@]}" evaluate "$WORK/trombone-small.pt" "$WORK/bank")
TEST=("${EVAL[@]}" --seeds 3 --json "$WORK/eval/report.json" --plots "$WORK/eval")
[ "$BASELINE" = 0 ] || TEST+=(--baseline "$WORK/uncond/checkpoints/best.pt")
run "${TEST[@]}"
FRESH=$("$PY" -c 'from samplernn.common.paths import PRETRAINED_DIR; print(PRETRAINED_DIR / "melodies_fresh")')
MELODY=("${EVAL[@]}" --max-notes 1 --no-velocity-sweep --no-missing-pitches)
run "${MELODY[@]}" --shipped-melodies --json "$WORK/eval/shipped-melodies.json"
run "${MELODY[@]}" --heldout-melodies --json "$WORK/eval/heldout-melodies.json"
run "${MELODY[@]}" --melodies "$FRESH" --json "$WORK/eval/fresh-melodies.json"
[ "$DRY" = 1 ] || echo "model: $WORK/trombone-small.pt (copy it to samplernn/pretrained/ to ship it)"
