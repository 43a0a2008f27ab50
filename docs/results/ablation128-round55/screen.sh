#!/usr/bin/env bash
# Step 1 of round 55: the first 40 epochs of every learning-rate pair, both models, seed 0; then the screen table
# (screen.md beside this file) from which variants.txt's rule keeps one pair. bash docs/results/ablation128-round55/screen.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
runs=${1:-runs/ablation128-round55}
ORDER="${ORDER:-baseline-g1e4-d3e5 display-g1e4-d3e5 baseline-g3e4-d3e5 display-g3e4-d3e5 baseline-g3e4-d1e4 display-g3e4-d1e4}" \
  SEEDS=0 EXTRA_OPTIONS="--epochs 40" EVALUATE=0 bash "$here/run.sh" "$runs"
cd "$here/../../.."
python -m specklegan_tf.experiments.training_balance "$runs"/*-g*/ --first-epoch 31 --last-epoch 40 --out "$here/screen.md"
