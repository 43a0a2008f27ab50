#!/usr/bin/env bash
# Round 27: does instance normalisation in SPADE take away z's effect on the image?
# Set up on 2026-12-06 and not run yet (round 26 seeds 2 and 3 took its slot): it needs the run folders of rounds 24
# and 25 in runs/, which are not in the repository (run those rounds first).
# Retrains round 7's batch-norm baseline at seeds 0 and 1 (round 7's runs are deterministic; published beside this
# file, not over round 7's report) and evaluates it together with rounds 24 and 25's exports (their run folders
# must be in runs/), all with a second z per mask (same_mask_ssim).
#   bash docs/results/ablation128-round27/run.sh
set -euo pipefail
round=$(cd "$(dirname "$0")" && pwd)
cd "$round/../../.."
mkdir -p runs/ablation128-round27
SEEDS="0 1" ORDER="baseline" PUBLISH_DIR=runs/ablation128-round27/round7-rerun \
  bash docs/results/ablation128-round7/run.sh runs/ablation128-round7
exports=()
add() { exports+=(--model "$1" --name "$2"); }
add runs/ablation128-round7/exports/baseline.keras baseline-batch
add runs/ablation128-round7/exports/baseline-seed1.keras baseline-batch-seed1
add runs/ablation128-round25/exports/baseline.keras baseline-instance
add runs/ablation128-round25/exports/baseline-seed1.keras baseline-instance-seed1
add runs/ablation128-round24/exports/display-polar-data-fixed.keras speckle-fixed-batch
add runs/ablation128-round24/exports/display-polar-data-fixed-seed1.keras speckle-fixed-batch-seed1
add runs/ablation128-round25/exports/display-polar-data.keras speckle-instance
add runs/ablation128-round25/exports/display-polar-data-seed1.keras speckle-instance-seed1
python train/evaluate_gan.py "${exports[@]}" --data phantom --out runs/ablation128-round27/evaluation
cp runs/ablation128-round27/evaluation/report.md "$round/evaluation.md"
cp runs/ablation128-round27/evaluation/report.csv "$round/evaluation.csv"
cp runs/ablation128-round27/evaluation/grid.png "$round/grid.png"
cp runs/ablation128-round27/round7-rerun/evaluation.csv "$round/round7-rerun-evaluation.csv"
echo "=== done $(date -u +%H:%M:%S)"
