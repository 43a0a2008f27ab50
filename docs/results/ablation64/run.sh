#!/usr/bin/env bash
# The 64 px ablations of docs/results/ablation64/report.md: SpeckleGAN variants against the baseline, n = 50
# phantom images, 600 generator updates each, one seed; then one evaluation of every run on all 435 images.
# Resumable: fit_gan.py resumes an unfinished run folder and skips a finished one; rerun this script after a kill.
# Everything but the speckle layer (and DiffAugment where named, for both models) is identical across runs.
#   bash docs/results/ablation64/run.sh [runs-folder]   (default runs/ablation64)
# Measured 2026-12-01 on a 2-core AMD EPYC (avx512f), oneDNN on: 5 to 7 min per run; round 1 (the first six) ran
# 23:36-00:21 with one pause of 12 min, round 2 (the last three) 00:21-00:43, both beside other jobs.
set -euo pipefail
cd "$(dirname "$0")/../../.."
RUNS=${1:-runs/ablation64}
COMMON=(--data phantom --n-train 50 --image-size 64 --width 0.25 --latent-dim 64 --batch-size 8 --epochs 100
        --lr 1e-3 --decay-epochs 60 85 --decay-factors 0.3 0.1 --val-every 25 --val-images 50 --seed 0
        --export-dir "$RUNS/exports")
DATA_RECT="--model speckle --speckle-init data --window-shape rectangular"
DA="--diff-augment color,translation,cutout"
declare -A VARIANT=(
  [baseline]="--model baseline"
  [speckle-paper-square]="--model speckle --speckle-init paper --window-shape square"
  [speckle-data-square]="--model speckle --speckle-init data --window-shape square"
  [speckle-data-rect]="$DATA_RECT"
  [baseline-da]="--model baseline $DA"
  [speckle-data-rect-da]="$DATA_RECT $DA"
  [speckle-data-rect-log]="$DATA_RECT --speckle-compression log"
  [speckle-data-rect-log-shared]="$DATA_RECT --speckle-compression log --shared-phases"
  [speckle-data-rect-log-da]="$DATA_RECT --speckle-compression log $DA"
)
ORDER=(baseline speckle-paper-square speckle-data-square speckle-data-rect baseline-da speckle-data-rect-da
       speckle-data-rect-log speckle-data-rect-log-shared speckle-data-rect-log-da)
args=()
for name in "${ORDER[@]}"; do
  echo "=== $name $(date -u +%H:%M:%S)"
  # shellcheck disable=SC2086
  python train/fit_gan.py "${COMMON[@]}" ${VARIANT[$name]} --name "$name" --out "$RUNS/$name"
  args+=(--model "$RUNS/exports/$name.keras" --name "$name")
done
python train/evaluate_gan.py "${args[@]}" --data phantom --out "$RUNS/evaluation"
python -m specklegan_tf.experiments.ablation_report "$RUNS" --title "Ablations at 64 px, n = 50" \
  --out docs/results/ablation64/report.md
cp "$RUNS/evaluation/grid.png" docs/results/ablation64/grid.png
cp "$RUNS/evaluation/report.md" docs/results/ablation64/evaluation.md
cp "$RUNS/evaluation/report.csv" docs/results/ablation64/evaluation.csv
echo "=== done $(date -u +%H:%M:%S)"
