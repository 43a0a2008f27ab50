#!/usr/bin/env bash
# The n = 50 half of the cpu128 reproduction (docs/results/cpu128-n50/README.md), evaluated on its own.
# `specklegan reproduce --budget cpu128` trains its GAN runs in the order n = 50 (seed 0, 1; SpeckleGAN, baseline),
# then n = 435, and evaluates only when all eight are done. This script evaluates the four n = 50 runs of a
# reproduction folder as soon as they are finished, the same way as the 64 px ablations: every run generates one
# image per real mask of all 435 phantom images and is compared with all of them (train/evaluate_gan.py), then the
# ablation report adds grain sizes, discriminator balance, learned windows and the speckle term's share.
#   bash docs/results/cpu128-n50/run.sh [reproduction-folder]   (default runs/reproduce_cpu128)
set -euo pipefail
cd "$(dirname "$0")/../../.."
RUNS=${1:-runs/reproduce_cpu128}
OUT=docs/results/cpu128-n50
args=()
for seed in 0 1; do
  for model in speckle baseline; do
    run=${model}_n50_s${seed}
    record="$RUNS/gan/$run/finished.json"
    # An unfinished run is left out (and said so): the report compares the runs that finished.
    [ -f "$record" ] || { echo "run.sh: $record does not exist: run $run is not finished, left out" >&2; continue; }
    keras=$(python -c "import json, sys; print(json.load(open(sys.argv[1]))['keras'])" "$record")
    args+=(--model "$keras" --name "$run")
  done
done
python train/evaluate_gan.py "${args[@]}" --data phantom --out "$RUNS/gan/evaluation"
python -m specklegan_tf.experiments.ablation_report "$RUNS/gan" \
  --title "cpu128 budget, n = 50 half: 128 px, 1200 generator updates, seeds 0 and 1" --out "$OUT/report.md"
cp "$RUNS/gan/evaluation/grid.png" "$OUT/grid.png"
cp "$RUNS/gan/evaluation/report.md" "$OUT/evaluation.md"
cp "$RUNS/gan/evaluation/report.csv" "$OUT/evaluation.csv"
