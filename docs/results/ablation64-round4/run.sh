#!/usr/bin/env bash
# Round 4 of the 64 px ablations (docs/results/ablation64-round4/README.md): the 'echo' speckle route.
# Same budget as rounds 1-3 (docs/results/ablation64-round3/run.sh): n = 50 phantom images, 64 px, width 0.25,
# 600 generator updates, seed 0; then one evaluation of every run on all 435 images. Resumable: fit_gan.py resumes
# an unfinished run folder and skips a finished one, so rerun this script after a kill.
#   bash docs/results/ablation64-round4/run.sh [runs-folder]   (default runs/ablation64-round4)
set -euo pipefail
cd "$(dirname "$0")/../../.."
RUNS=${1:-runs/ablation64-round4}
COMMON=(--data phantom --n-train 50 --image-size 64 --width 0.25 --latent-dim 64 --batch-size 8 --epochs 100
        --lr 1e-3 --decay-epochs 60 85 --decay-factors 0.3 0.1 --val-every 25 --val-images 50
        --export-dir "$RUNS/exports")
ECHO="--model speckle --speckle-route echo --speckle-compression log"
declare -A VARIANT=(
  [baseline]="--model baseline"
  [baseline-echo-g03]="--model baseline --speckle-route echo --echo-gain 0.3"
  [echo-rect-g03]="$ECHO --echo-gain 0.3"
  [echo-gauss-g03]="$ECHO --echo-gain 0.3 --window-profile gaussian"
  [echo-gauss-g03-data]="$ECHO --echo-gain 0.3 --window-profile gaussian --speckle-init data --window-shape rectangular"
)
ORDER=(baseline baseline-echo-g03 echo-rect-g03 echo-gauss-g03 echo-gauss-g03-data)
args=()
for name in "${ORDER[@]}"; do
  echo "=== $name $(date -u +%H:%M:%S)"
  # shellcheck disable=SC2086
  python train/fit_gan.py "${COMMON[@]}" ${VARIANT[$name]} --seed 0 --name "$name" --out "$RUNS/$name"
  args+=(--model "$RUNS/exports/$name.keras" --name "$name")
done
python train/evaluate_gan.py "${args[@]}" --data phantom --out "$RUNS/evaluation"
cp "$RUNS/evaluation/grid.png" docs/results/ablation64-round4/grid.png
cp "$RUNS/evaluation/report.md" docs/results/ablation64-round4/evaluation.md
cp "$RUNS/evaluation/report.csv" docs/results/ablation64-round4/evaluation.csv
echo "=== done $(date -u +%H:%M:%S)"
