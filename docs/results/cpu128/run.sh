#!/usr/bin/env bash
# The whole cpu128 budget (docs/results/cpu128/README.md): eight GAN runs at 128 px (n = 50 and 435, seeds 0 and 1,
# SpeckleGAN and the baseline, 1,200 generator updates each), the reproduction's own report (Fig. 5, Table 1,
# speckle statistics, Fig. 6, a small Table 2) published here, then every run evaluated on all 435 phantom images
# with the ablation report (docs/results/evaluate_runs.sh).
# Resumable stage by stage: after a kill, run it again with the same folder.
#   bash docs/results/cpu128/run.sh [reproduction-folder]   (default runs/reproduce_cpu128)
set -euo pipefail
cd "$(dirname "$0")/../../.."
RUNS=${1:-runs/reproduce_cpu128}
OUT=docs/results/cpu128
python train/reproduce_paper.py --budget cpu128 --out "$RUNS" --publish "$OUT"
bash docs/results/evaluate_runs.sh "$RUNS" "$OUT" "$OUT/runs.md" \
  "cpu128 budget: 128 px, 1200 generator updates, n = 50 and 435, seeds 0 and 1" \
  speckle_n50_s0 baseline_n50_s0 speckle_n50_s1 baseline_n50_s1 \
  speckle_n435_s0 baseline_n435_s0 speckle_n435_s1 baseline_n435_s1
