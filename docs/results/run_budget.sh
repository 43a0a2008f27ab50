#!/usr/bin/env bash
# One whole 128 px budget (cpu128-v2, cpu128-v3): its GAN runs (n = 50 and 435, every seed of the budget, SpeckleGAN
# and the baseline, 1,200 generator updates each), the reproduction's own report (Fig. 5, Table 1, speckle
# statistics, Fig. 6, a small Table 2) published in docs/results/BUDGET, then every run evaluated on all 435
# phantom images from their own masks with the ablation report (docs/results/evaluate_runs.sh).
# Resumable stage by stage: after a kill, or in a later session, run it again with the same folder.
#   bash docs/results/run_budget.sh BUDGET [reproduction-folder]   (default runs/reproduce_BUDGET)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUDGET=$1
RUNS=${2:-runs/reproduce_$BUDGET}
OUT=docs/results/$BUDGET
read -r -a seeds <<< "$(python -c "import sys; from specklegan_tf.experiments.budgets import get_budget
print(*get_budget(sys.argv[1]).seeds)" "$BUDGET")"
python train/reproduce_paper.py --budget "$BUDGET" --out "$RUNS" --publish "$OUT"
runs=()
for n in 50 435; do for seed in "${seeds[@]}"; do runs+=("speckle_n${n}_s$seed" "baseline_n${n}_s$seed"); done; done
bash docs/results/evaluate_runs.sh "$RUNS" "$OUT" "$OUT/runs.md" \
  "$BUDGET budget: 128 px, 1200 generator updates, n = 50 and 435, seeds ${seeds[*]}" "${runs[@]}"
