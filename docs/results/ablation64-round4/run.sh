#!/usr/bin/env bash
# Round 4 of the 64 px ablations (docs/results/ablation64-round4/README.md): the 'echo' speckle route.
# Same budget as rounds 1-3 (docs/results/ablation64.sh): n = 50 phantom images, 64 px, width 0.25,
# 600 generator updates, seed 0; then one evaluation of every run on all 435 images. Resumable: fit_gan.py resumes
# an unfinished run folder and skips a finished one, so rerun this script after a kill.
#   bash docs/results/ablation64-round4/run.sh [runs-folder]   (default runs/ablation64-round4)
set -euo pipefail
cd "$(dirname "$0")/../../.."
RUNS=${1:-runs/ablation64-round4}
ECHO="--model speckle --speckle-route echo --speckle-compression log"
declare -A VARIANT=(
  [baseline]="--model baseline"
  [baseline-echo-g03]="--model baseline --speckle-route echo --echo-gain 0.3"
  [echo-rect-g03]="$ECHO --echo-gain 0.3"
  [echo-gauss-g03]="$ECHO --echo-gain 0.3 --window-profile gaussian"
  [echo-gauss-g03-data]="$ECHO --echo-gain 0.3 --window-profile gaussian --speckle-init data --window-shape rectangular"
)
ORDER=(baseline baseline-echo-g03 echo-rect-g03 echo-gauss-g03 echo-gauss-g03-data)
source docs/results/ablation64.sh
train_and_evaluate "$RUNS" docs/results/ablation64-round4 "Ablations at 64 px, round 4, n = 50"
