# Shared by the 64 px ablation rounds (docs/results/ablation64*/run.sh). A round's run.sh defines VARIANT (run
# name -> fit_gan.py options), ORDER (the names to train) and optionally SEEDS (default 0), sources this file and
# calls train_and_evaluate RUNS OUT TITLE.
#   ABLATION_COMMON: the budget of every run of every round: n = 50 phantom images, 64 px, width 0.25, latent
#     length 64, batch 8, 600 generator updates, one learning-rate schedule, validation every 25 epochs; the same
#     for both models, so a round compares only what its variants name.
#   train_and_evaluate: trains every variant at every seed (fit_gan.py skips a finished run folder and resumes an
#     unfinished one, so rerunning after a kill continues), evaluates all runs on the 435 phantom images, writes the
#     ablation report to OUT/report.md and copies the evaluation (evaluation.md/.csv, grid.png) to OUT.
source docs/results/publish_evaluation.sh

ABLATION_COMMON=(--data phantom --n-train 50 --image-size 64 --width 0.25 --latent-dim 64 --batch-size 8 --epochs 100
                 --lr 1e-3 --decay-epochs 60 85 --decay-factors 0.3 0.1 --val-every 25 --val-images 50)

train_and_evaluate() {
  local runs=$1 out=$2 title=$3 seed name run
  local args=()
  for seed in "${SEEDS[@]:-0}"; do
    for name in "${ORDER[@]}"; do
      run=$name; [ "$seed" = 0 ] || run=$name-seed$seed
      echo "=== $run $(date -u +%H:%M:%S)"
      # shellcheck disable=SC2086
      python train/fit_gan.py "${ABLATION_COMMON[@]}" --export-dir "$runs/exports" ${VARIANT[$name]} \
        --seed "$seed" --name "$run" --out "$runs/$run"
      args+=(--model "$runs/exports/$run.keras" --name "$run")
    done
  done
  evaluate_and_publish "$runs" "$out" "$out/report.md" "$title" "${args[@]}"
  echo "=== done $(date -u +%H:%M:%S)"
}
