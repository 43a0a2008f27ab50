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
source docs/results/ablation64.sh
train_and_evaluate "$RUNS" docs/results/ablation64 "Ablations at 64 px, n = 50"
