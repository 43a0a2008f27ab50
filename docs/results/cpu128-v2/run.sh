#!/usr/bin/env bash
# The whole cpu128-v2 budget (docs/results/cpu128-v2/README.md): twelve GAN runs at 128 px (n = 50 and 435,
# seeds 0, 1 and 2, SpeckleGAN and the baseline, 1,200 generator updates each, the configuration the 128 px
# ablations kept), the reproduction's own report (Fig. 5, Table 1, speckle statistics, Fig. 6, a small Table 2)
# published here, then every run evaluated on all 435 phantom images from their own masks with the ablation
# report (docs/results/evaluate_runs.sh).
# Resumable stage by stage: after a kill, or in a later session, run it again with the same folder.
#   bash docs/results/cpu128-v2/run.sh [reproduction-folder]   (default runs/reproduce_cpu128-v2)
set -euo pipefail
cd "$(dirname "$0")/../../.."
RUNS=${1:-runs/reproduce_cpu128-v2}
OUT=docs/results/cpu128-v2
python train/reproduce_paper.py --budget cpu128-v2 --out "$RUNS" --publish "$OUT"
runs=()
for n in 50 435; do for seed in 0 1 2; do runs+=("speckle_n${n}_s$seed" "baseline_n${n}_s$seed"); done; done
bash docs/results/evaluate_runs.sh "$RUNS" "$OUT" "$OUT/runs.md" \
  "cpu128-v2 budget: 128 px, 1200 generator updates, n = 50 and 435, seeds 0, 1 and 2" "${runs[@]}"
