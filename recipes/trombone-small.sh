#!/usr/bin/env bash
# The recipe of the shipped model samplernn/pretrained/trombone-small.pt (see MODEL_CARD.md):
# prepare the bundled bank twice, train `small` in five stages (each starts with --init from the
# last), ship the picked checkpoint as float16, evaluate it on the test split.
#
#   bash recipes/trombone-small.sh [--dry-run] [--baseline] [WORK_DIR]
#
#   --dry-run   print every command, run none
#   --baseline  also train the unconditional baseline the same way (its NLL is the card's NLL bar)
#   WORK_DIR    where everything goes [default: runs/recipe-trombone-small]
#
# About 5 hours on a 2-core CPU (10 with --baseline). A finished stage leaves WORK_DIR/<tag>-stageN.pt
# and is skipped when the script runs again; a stage that was interrupted continues with
# `samplernn train … --resume` on its run dir, or remove that run dir to start the stage afresh.
# The numbers will not match the shipped model's bit for bit (bf16 autocast and thread counts vary
# with the CPU), but the schedule is the one it was trained with.
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
STAGE=("$PY" recipes/train_stage.py)
BANK=$("$PY" -c 'from samplernn.common.paths import BUNDLED_BANK; print(BUNDLED_BANK)')

run() {
  echo "+ $*"
  if [ "$DRY" = 0 ]; then "$@"; fi
}

# keep RUN DST: the run's last checkpoint becomes the stage's result.
keep() {
  run cp "$1/checkpoints/last.pt" "$2"
}

# Every stage: batch 32, window 1024, seed 0, never stop early, bf16 autocast on one thread, and
# validation by NLL alone, as when the model was trained (no sound notes generated per validation).
# No warm-up, the input gain (where a stage has one) from its first step, and a constant rate
# unless said (--lr-final equal to --lr): the defaults have
# changed since (docs/training.md, "The default recipe"), so what was off then is spelled out.
COMMON=(--patience 0 --precision bf16 --threads 1 --no-preview --choose-by nll --sound-notes 0 --warmup-steps 0
  --input-gain-from 0 --input-gain-tiers all --scheduled-sampling 0)

# chain TAG CONDITIONING(true|false): the five stages. Stage N reads WORK/TAG-stage(N-1).pt.
chain() {
  local tag=$1 cond=$2 w="$WORK/$1"
  # 1. From scratch, on the bank prepared without tail silence, no level column: 2,206 steps
  #    in float32 on 2 threads, to 6,001 in bf16 on 1 thread (lr 1e-3), to 6,292 at lr 5e-4.
  if [ ! -f "$w-stage1.pt" ]; then
    run "${STAGE[@]}" "$WORK/bank-no-tail" --out "$w-stage1" --model level_conditioning=false pre_emphasis=0 \
      --set preset=small conditioning="$cond" steps=2206 batch_size=32 window=1024 lr=1e-3 seed=0 \
      val_every=300 patience=0 precision=fp32 threads=2 preview=false choose_by=nll sound_notes=0 \
      warmup_steps=0 input_gain=0 lr_final=1e-3
    run "${SAMPLERNN[@]}" train "$WORK/bank-no-tail" --out "$w-stage1" --resume --steps 6001 \
      --precision bf16 --threads 1
    run "${SAMPLERNN[@]}" train "$WORK/bank-no-tail" --out "$w-stage1" --resume --steps 6292 --lr 5e-4
    keep "$w-stage1" "$w-stage1.pt"
  fi
  # 2. The bank with 0.25 s of tail silence: 3,500 steps at 5e-4 (--init keeps the model as it is).
  if [ ! -f "$w-stage2.pt" ]; then
    run "${SAMPLERNN[@]}" train "$WORK/bank" --out "$w-stage2" --init "$w-stage1.pt" \
      --steps 3500 --lr 5e-4 --lr-final 5e-4 --input-gain 0 --val-every 500 "${COMMON[@]}"
    keep "$w-stage2" "$w-stage2.pt"
  fi
  # 3. Add the level column (its input weights start at zero): 3,000 steps at 5e-4.
  if [ ! -f "$w-stage3.pt" ]; then
    run "${STAGE[@]}" "$WORK/bank" --out "$w-stage3" --model level_conditioning=true \
      --set init="$w-stage2.pt" steps=3000 lr=5e-4 val_every=500 patience=0 precision=bf16 \
      threads=1 preview=false choose_by=nll sound_notes=0 warmup_steps=0 input_gain=0 lr_final=5e-4
    keep "$w-stage3" "$w-stage3.pt"
  fi
  # 4. --input-gain 0.7: 4,500 steps at 5e-4 (picked on the validation split among 4,000-5,500).
  if [ ! -f "$w-stage4.pt" ]; then
    run "${SAMPLERNN[@]}" train "$WORK/bank" --out "$w-stage4" --init "$w-stage3.pt" \
      --steps 4500 --lr 5e-4 --lr-final 5e-4 --input-gain 0.7 --val-every 500 "${COMMON[@]}"
    keep "$w-stage4" "$w-stage4.pt"
  fi
  # 5. --input-gain 0.7 at lr 3e-4: constant for 2,000 steps, then annealed along a cosine
  #    towards 3e-5 at step 11,000; step 10,000 was picked on the validation split.
  if [ ! -f "$w-stage5.pt" ]; then
    run "${SAMPLERNN[@]}" train "$WORK/bank" --out "$w-stage5" --init "$w-stage4.pt" \
      --steps 2000 --lr 3e-4 --lr-final 3e-4 --input-gain 0.7 --val-every 500 "${COMMON[@]}"
    run "${STAGE[@]}" "$WORK/bank" --out "$w-stage5" --resume --set steps=11000 lr_final=3e-5 \
      --stop-at 10000
    keep "$w-stage5" "$w-stage5.pt"
  fi
}

[ -d "$WORK/bank-no-tail" ] || run "${SAMPLERNN[@]}" prepare "$BANK" "$WORK/bank-no-tail" --tail-silence 0
[ -d "$WORK/bank" ] || run "${SAMPLERNN[@]}" prepare "$BANK" "$WORK/bank"

chain cond true
[ "$BASELINE" = 0 ] || chain uncond false

# Ship: float16 weights, no optimiser state, the step count of all five stages
# (6,292 + 3,500 + 3,000 + 4,500 + 10,000), sampling temperature 0.9 (picked on the validation split).
CARD='{"preset": "small", "level_conditioning": true, "steps": 27292, "lineage": "6292 steps on the bank without tail silence + 3500 --init fine-tune on the tail-silence bank + 3000 steps with the level column (layers widened, zero-initialised) + 4500 steps with --input-gain 0.7 + 10000 steps with --input-gain 0.7, lr 3e-4 annealed along a cosine towards 3e-5", "temperature": 0.9, "recipe": "recipes/trombone-small.sh"}'
run "$PY" scripts/ship_model.py "$WORK/cond-stage5.pt" "$WORK/trombone-small.pt" --step 27292 \
  --temperature 0.9 --card "$CARD"

# The card's test numbers: three seeds on the test split (NLL bar: the unconditional baseline).
EVAL=("${SAMPLERNN[@]}" evaluate "$WORK/trombone-small.pt" "$WORK/bank" --seeds 3
      --json "$WORK/eval/report.json" --plots "$WORK/eval")
[ "$BASELINE" = 0 ] || EVAL+=(--baseline "$WORK/uncond-stage5.pt")
run "${EVAL[@]}"
[ "$DRY" = 1 ] || echo "model: $WORK/trombone-small.pt (copy it to samplernn/pretrained/ to ship it)"
