#!/usr/bin/env bash
# Round 22: bash docs/results/ablation128-round22/run.sh [runs-folder] [round-21-runs-folder]
# 1. retrains round 8's baseline at seeds 0-3 and evaluates it at evaluation seed 0 (docs/results/ablation64.sh);
# 2. evaluates those four baselines and round 21's four SpeckleGAN exports at evaluation seeds 1 and 2 (other z and
#    phase draws for the same 435 masks) into evaluation-seed1/ and evaluation-seed2/ here.
# Every step skips what is finished, so rerunning after a kill continues.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
runs=${1:-runs/ablation128-round22}
round21=${2:-runs/ablation128-round21}
SEEDS=${SEEDS:-0 1 2 3} ORDER=baseline bash "$here/../ablation64.sh" "$here" "$runs"
cd "$here/../../.."
args=()
for seed in 0 1 2 3; do
  suffix=""; [ "$seed" = 0 ] || suffix="-seed$seed"
  args+=(--model "$runs/exports/baseline$suffix.keras" --name "baseline$suffix")
done
for seed in 0 1 2 3; do
  suffix=""; [ "$seed" = 0 ] || suffix="-seed$seed"
  model="$round21/exports/display-polar-data$suffix.keras"
  [ -f "$model" ] || { echo "run.sh: $model does not exist: run round 21 first (docs/results/ablation128-round21/run.sh)" >&2; exit 2; }
  args+=(--model "$model" --name "display-polar-data$suffix")
done
for eval_seed in 1 2; do
  out=$here/evaluation-seed$eval_seed
  [ -f "$out/evaluation.csv" ] && { echo "=== evaluation seed $eval_seed: done before"; continue; }
  echo "=== evaluation seed $eval_seed $(date -u +%H:%M:%S)"
  python train/evaluate_gan.py "${args[@]}" --data phantom --seed "$eval_seed" --out "$runs/evaluation-seed$eval_seed"
  mkdir -p "$out"
  cp "$runs/evaluation-seed$eval_seed/report.md" "$out/evaluation.md"
  cp "$runs/evaluation-seed$eval_seed/report.csv" "$out/evaluation.csv"
  cp "$runs/evaluation-seed$eval_seed/grid.png" "$out/grid.png"
done
echo "=== round 22 done $(date -u +%H:%M:%S)"
