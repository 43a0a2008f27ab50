#!/usr/bin/env bash
# Round 2 of the 64 px ablations (docs/results/ablation64-round2/report.md): what holds SpeckleGAN back, measured.
# Same budget as round 1 (docs/results/ablation64.sh): n = 50 phantom images, 64 px, width 0.25, 600 generator
# updates; then one evaluation of every run on all 435 images. Resumable: fit_gan.py resumes an unfinished run
# folder and skips a finished one, so rerun this script after a kill.
# Everything but the speckle layer's options is identical across runs, for both models.
#   bash docs/results/ablation64-round2/run.sh [runs-folder]   (default runs/ablation64-round2)
set -euo pipefail
cd "$(dirname "$0")/../../.."
RUNS=${1:-runs/ablation64-round2}
# Round 1's best SpeckleGAN: windows matched to the data, rectangular, log compression, one phase field per image.
BEST1="--model speckle --speckle-init data --window-shape rectangular --speckle-compression log --shared-phases"
declare -A VARIANT=(
  [baseline]="--model baseline"
  [speckle-drls]="$BEST1"
  [speckle-drls-cart]="$BEST1 --no-polar"
  [speckle-drls-skip]="$BEST1 --speckle-skip"
  [speckle-drls-gauss]="$BEST1 --window-profile gaussian"
  [speckle-drls-gauss-skip]="$BEST1 --window-profile gaussian --speckle-skip"
)
ORDER=(baseline speckle-drls speckle-drls-cart speckle-drls-skip speckle-drls-gauss-skip speckle-drls-gauss)
SEEDS=(${SEEDS:-0})
source docs/results/ablation64.sh
train_and_evaluate "$RUNS" docs/results/ablation64-round2 "Ablations at 64 px, round 2, n = 50"
