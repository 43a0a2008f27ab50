#!/usr/bin/env bash
# Ablations of SpeckleGAN against the baseline at 64 px, n = 50 phantom images, 600 generator updates each.
# Resumable: fit_gan.py resumes an unfinished run folder and skips a finished one; rerun this script after a kill.
# Everything but the speckle layer (and DiffAugment where named) is identical across runs.
#   bash docs/results/ablation64/run.sh [runs-folder]   (default runs/ablation64)
set -euo pipefail
cd "$(dirname "$0")/../../.."
RUNS=${1:-runs/ablation64}
COMMON=(--data phantom --n-train 50 --image-size 64 --width 0.25 --latent-dim 64 --batch-size 8 --epochs 100
        --lr 1e-3 --decay-epochs 60 85 --decay-factors 0.3 0.1 --val-every 25 --val-images 50 --seed 0
        --export-dir "$RUNS/exports")
declare -A VARIANT=(
  [baseline]="--model baseline"
  [speckle-paper-square]="--model speckle --speckle-init paper --window-shape square"
  [speckle-data-square]="--model speckle --speckle-init data --window-shape square"
  [speckle-data-rect]="--model speckle --speckle-init data --window-shape rectangular"
  [baseline-da]="--model baseline --diff-augment color,translation,cutout"
  [speckle-data-rect-da]="--model speckle --speckle-init data --window-shape rectangular --diff-augment color,translation,cutout"
)
ORDER=(baseline speckle-paper-square speckle-data-square speckle-data-rect baseline-da speckle-data-rect-da)
for name in "${ORDER[@]}"; do
  echo "=== $name $(date -u +%H:%M:%S)"
  # shellcheck disable=SC2086
  python train/fit_gan.py "${COMMON[@]}" ${VARIANT[$name]} --name "$name" --out "$RUNS/$name"
done
args=()
for name in "${ORDER[@]}"; do args+=(--model "$RUNS/exports/$name.keras" --name "$name"); done
python train/evaluate_gan.py "${args[@]}" --data phantom --out "$RUNS/evaluation"
echo "=== done $(date -u +%H:%M:%S)"
