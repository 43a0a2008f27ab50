#!/usr/bin/env bash
# Round 3 of the 64 px ablations (docs/results/ablation64-round3/report.md): the speckle route.
# Same budget as round 1 (docs/results/ablation64.sh): n = 50 phantom images, 64 px, width 0.25, 600 generator
# updates; then one evaluation of every run on all 435 images. Resumable: fit_gan.py resumes an unfinished run
# folder and skips a finished one, so rerun this script after a kill.
# Everything but the speckle layer's options is identical across runs, for both models.
#   bash docs/results/ablation64-round3/run.sh [runs-folder]   (default runs/ablation64-round3)
set -euo pipefail
cd "$(dirname "$0")/../../.."
RUNS=${1:-runs/ablation64-round3}
# Round 1's best SpeckleGAN: windows matched to the data, rectangular, log compression, one phase field per image.
BEST1="--model speckle --speckle-init data --window-shape rectangular --speckle-compression log --shared-phases"
declare -A VARIANT=(
  [baseline]="--model baseline"
  [speckle-drls-direct]="$BEST1 --speckle-route direct"
  [speckle-drls-skip]="$BEST1 --speckle-skip"
)
# Round 2 measured baseline and speckle-drls-skip at seeds 0 and 1 on a machine of the same kind; the baseline at
# seed 0 is rerun first as a check that this machine reproduces those numbers.
ORDER=(${ORDER:-speckle-drls-direct baseline})
SEEDS=(${SEEDS:-0})
source docs/results/ablation64.sh
train_and_evaluate "$RUNS" docs/results/ablation64-round3 "Ablations at 64 px, round 3, n = 50"
