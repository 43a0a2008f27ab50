#!/usr/bin/env bash
# Second round of the 64 px ablations (same budget and options as run.sh), then one evaluation of every run.
#   bash docs/results/ablation64/run2.sh [runs-folder]   (default runs/ablation64)
set -euo pipefail
cd "$(dirname "$0")/../../.."
RUNS=${1:-runs/ablation64}
COMMON=(--data phantom --n-train 50 --image-size 64 --width 0.25 --latent-dim 64 --batch-size 8 --epochs 100
        --lr 1e-3 --decay-epochs 60 85 --decay-factors 0.3 0.1 --val-every 25 --val-images 50 --seed 0
        --export-dir "$RUNS/exports")
declare -A VARIANT=(
  [speckle-data-rect-log]="--model speckle --speckle-init data --window-shape rectangular --speckle-compression log"
  [speckle-data-rect-log-shared]="--model speckle --speckle-init data --window-shape rectangular --speckle-compression log --shared-phases"
  [speckle-data-rect-log-da]="--model speckle --speckle-init data --window-shape rectangular --speckle-compression log --diff-augment color,translation,cutout"
)
ORDER=(speckle-data-rect-log speckle-data-rect-log-shared speckle-data-rect-log-da)
for name in "${ORDER[@]}"; do
  echo "=== $name $(date -u +%H:%M:%S)"
  # shellcheck disable=SC2086
  python train/fit_gan.py "${COMMON[@]}" ${VARIANT[$name]} --name "$name" --out "$RUNS/$name"
done
args=()
for keras_file in "$RUNS"/exports/*.keras; do
  name=$(basename "$keras_file" .keras); args+=(--model "$keras_file" --name "$name")
done
python train/evaluate_gan.py "${args[@]}" --data phantom --out "$RUNS/evaluation"
python -m specklegan_tf.experiments.ablation_report "$RUNS" --title "Ablations at 64 px, n = 50" \
  --out docs/results/ablation64/report.md
echo "=== done $(date -u +%H:%M:%S)"
