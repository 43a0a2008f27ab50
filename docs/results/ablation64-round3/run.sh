#!/usr/bin/env bash
# Round 3 of the 64 px ablations (docs/results/ablation64-round3/report.md): the speckle route.
# Same budget as round 1 (docs/results/ablation64/run.sh): n = 50 phantom images, 64 px, width 0.25, 600 generator
# updates; then one evaluation of every run on all 435 images. Resumable: fit_gan.py resumes an unfinished run
# folder and skips a finished one, so rerun this script after a kill.
# Everything but the speckle layer's options is identical across runs, for both models.
#   bash docs/results/ablation64-round3/run.sh [runs-folder]   (default runs/ablation64-round3)
set -euo pipefail
cd "$(dirname "$0")/../../.."
RUNS=${1:-runs/ablation64-round3}
COMMON=(--data phantom --n-train 50 --image-size 64 --width 0.25 --latent-dim 64 --batch-size 8 --epochs 100
        --lr 1e-3 --decay-epochs 60 85 --decay-factors 0.3 0.1 --val-every 25 --val-images 50
        --export-dir "$RUNS/exports")
# Round 1's best SpeckleGAN: windows matched to the data, rectangular, log compression, one phase field per image.
BEST1="--model speckle --speckle-init data --window-shape rectangular --speckle-compression log --shared-phases"
declare -A VARIANT=(
  [baseline]="--model baseline"
  [speckle-drls-direct]="$BEST1 --speckle-route direct"
  [speckle-drls-skip]="$BEST1 --speckle-skip"
)
# Round 2 measured baseline and speckle-drls-skip at seeds 0 and 1 on a machine of the same kind; the baseline at
# seed 0 is rerun first as a check that this machine reproduces those numbers.
ORDER=(${ORDER:-speckle-drls-direct baseline})
SEEDS=(${SEEDS:-0})
args=()
for seed in "${SEEDS[@]}"; do
  for name in "${ORDER[@]}"; do
    run=$name; [ "$seed" = 0 ] || run=$name-seed$seed
    echo "=== $run $(date -u +%H:%M:%S)"
    # shellcheck disable=SC2086
    python train/fit_gan.py "${COMMON[@]}" ${VARIANT[$name]} --seed "$seed" --name "$run" --out "$RUNS/$run"
    args+=(--model "$RUNS/exports/$run.keras" --name "$run")
  done
done
python train/evaluate_gan.py "${args[@]}" --data phantom --out "$RUNS/evaluation"
python -m specklegan_tf.experiments.ablation_report "$RUNS" --title "Ablations at 64 px, round 3, n = 50" \
  --out docs/results/ablation64-round3/report.md
cp "$RUNS/evaluation/grid.png" docs/results/ablation64-round3/grid.png
cp "$RUNS/evaluation/report.md" docs/results/ablation64-round3/evaluation.md
cp "$RUNS/evaluation/report.csv" docs/results/ablation64-round3/evaluation.csv
echo "=== done $(date -u +%H:%M:%S)"
