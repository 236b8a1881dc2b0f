#!/usr/bin/env bash
# Prepare the banks the experiments in docs/ were measured on, into runs/data/ (git-ignored), from
# the bundled bank and Debian packages installed beforehand (nothing is downloaded here):
#   apt-get install hydrogen-drumkits musescore-general-soundfont fluidsynth
#   runs/data/trombone  the bundled bank (docs/training.md, docs/benchmarks.md)
#   runs/data/cello     GM cello from MuseScore General, every third semitone left out (docs/training.md)
#   runs/data/kits2     Millo_MultiLayered2 + ColomboAcousticDrumkit (docs/drums.md)
#   runs/data/kits5     kits2 + The Black Pearl 1.0, Millo_MultiLayered3, BJA_Pacific (docs/drums.md)
# Safe to re-run: a bank already prepared is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
SR=".venv/bin/samplernn"
KITS=/usr/share/hydrogen/data/drumkits
SF3=/usr/share/sounds/sf3/MuseScore_General.sf3
mkdir -p runs/data runs/banks

prepare() {  # prepare SRC NAME [options]: into runs/data/NAME unless it is there
  local src=$1 name=$2
  shift 2
  if [ -f "runs/data/$name/dataset.json" ]; then echo "runs/data/$name: already prepared"; return; fi
  "$SR" prepare "$src" "runs/data/$name" "$@"
}

kit_folder() {  # kit_folder NAME KIT...: runs/banks/NAME holding links to the Hydrogen kits
  local name=$1
  shift
  mkdir -p "runs/banks/$name"
  for kit in "$@"; do
    [ -d "$KITS/$kit" ] || { echo "error: $KITS/$kit not found (apt-get install hydrogen-drumkits)" >&2; exit 1; }
    ln -sfn "$KITS/$kit" "runs/banks/$name/$kit"
  done
}

prepare samplernn/banks/trombone/notes trombone
if [ ! -d runs/banks/cello/notes ]; then
  [ -f "$SF3" ] || { echo "error: $SF3 not found (apt-get install musescore-general-soundfont)" >&2; exit 1; }
  .venv/bin/python scripts/render_bank.py --out runs/banks/cello --name cello --program 42 \
    --soundfont "$SF3" --pitches 36:72 --velocities 33,80,112 --lengths 2 --leave-out-every 3
fi
prepare runs/banks/cello/notes cello
kit_folder kits2 Millo_MultiLayered2 ColomboAcousticDrumkit
prepare runs/banks/kits2 kits2 --layout drumkit --skip-bad
kit_folder kits5 Millo_MultiLayered2 ColomboAcousticDrumkit "The Black Pearl 1.0" Millo_MultiLayered3 BJA_Pacific
prepare runs/banks/kits5 kits5 --layout drumkit --skip-bad
