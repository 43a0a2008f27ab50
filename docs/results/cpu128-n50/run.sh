#!/usr/bin/env bash
# The n = 50 half of the cpu128 reproduction (docs/results/cpu128-n50/README.md), evaluated on its own.
# `specklegan reproduce --budget cpu128` trains its GAN runs in the order n = 50 (seed 0, 1; SpeckleGAN, baseline),
# then n = 435, and evaluates only when all eight are done. This script evaluates the four n = 50 runs of a
# reproduction folder as soon as they are finished (docs/results/evaluate_runs.sh).
#   bash docs/results/cpu128-n50/run.sh [reproduction-folder]   (default runs/reproduce_cpu128)
set -euo pipefail
cd "$(dirname "$0")/../../.."
RUNS=${1:-runs/reproduce_cpu128}
OUT=docs/results/cpu128-n50
bash docs/results/evaluate_runs.sh "$RUNS" "$OUT" "$OUT/report.md" \
  "cpu128 budget, n = 50 half: 128 px, 1200 generator updates, seeds 0 and 1" \
  speckle_n50_s0 baseline_n50_s0 speckle_n50_s1 baseline_n50_s1
