#!/usr/bin/env bash
# Runs one round of the 64 px ablations: bash docs/results/ablation64.sh ROUND_FOLDER [RUNS_FOLDER]
# (each round's run.sh calls it). ROUND_FOLDER/variants.txt names the round's runs, one per line,
# 'name: fit_gan.py options', and its report's title ('title: ...'); '#' lines are comments.
#   ABLATION_COMMON: the budget of every run of a round: n = 50 phantom images, 64 px, width 0.25, latent
#     length 64, batch 8, 600 generator updates, one learning-rate schedule, validation every 25 epochs; the same
#     for both models, so a round compares only what its variants name. A round at another budget (e.g. 128 px)
#     replaces it with a 'budget: fit_gan.py options' line in its variants.txt.
#   Every variant is trained at every seed of SEEDS (default "0"; seed s > 0 adds "-seed<s>" to the run name), in
#   the file's order or that of ORDER="name ...". fit_gan.py skips a finished run folder and resumes an unfinished
#   one, so rerunning after a kill continues. Then every run is evaluated on the 435 phantom images and the round's
#   report.md, evaluation.md/.csv and grid.png are written to ROUND_FOLDER (publish_evaluation.sh), or to
#   PUBLISH_DIR if set: more seeds of a published round, trained later, go beside its first ones without
#   overwriting them.
#   A screen (the first epochs of every run, no evaluation) sets EXTRA_OPTIONS="--epochs 40" and EVALUATE=0: the
#   options go after the variant's, and the same command without them later continues those runs to the budget's end
#   (--epochs is not a resume key).
set -euo pipefail
round=$(cd "$1" && pwd)
cd "$(dirname "$0")/../.."
runs=${2:-runs/$(basename "$round")}
variants_file=$round/variants.txt
[ -f "$variants_file" ] || { echo "ablation64.sh: $variants_file does not exist" >&2; exit 2; }
source docs/results/publish_evaluation.sh

ABLATION_COMMON=(--data phantom --n-train 50 --image-size 64 --width 0.25 --latent-dim 64 --batch-size 8 --epochs 100
                 --lr 1e-3 --decay-epochs 60 85 --decay-factors 0.3 0.1 --val-every 25 --val-images 50)

declare -A VARIANT=()
names=() title=""
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in '#'*|'') continue ;; esac
  key=${line%%:*} value=${line#*: }
  case "$key" in
    title) title=$value ;;
    budget) read -r -a ABLATION_COMMON <<< "$value" ;;
    *) VARIANT[$key]=$value; names+=("$key") ;;
  esac
done < "$variants_file"
read -r -a names <<< "${ORDER:-${names[*]}}"
read -r -a seeds <<< "${SEEDS:-0}"
read -r -a extra <<< "${EXTRA_OPTIONS:-}"

args=()
for seed in "${seeds[@]}"; do
  for name in "${names[@]}"; do
    [ -n "${VARIANT[$name]+set}" ] || { echo "ablation64.sh: ORDER names '$name', not in $variants_file" >&2; exit 2; }
    run=$name; [ "$seed" = 0 ] || run=$name-seed$seed
    echo "=== $run $(date -u +%H:%M:%S)"
    # shellcheck disable=SC2086  # the options are words
    python train/fit_gan.py "${ABLATION_COMMON[@]}" --export-dir "$runs/exports" ${VARIANT[$name]} \
      --seed "$seed" --name "$run" --out "$runs/$run" ${extra[@]+"${extra[@]}"}
    args+=(--model "$runs/exports/$run.keras" --name "$run")
  done
done
[ "${EVALUATE:-1}" = 1 ] || { echo "=== trained, not evaluated (EVALUATE=${EVALUATE}) $(date -u +%H:%M:%S)"; exit 0; }
publish=${PUBLISH_DIR:-$round}
mkdir -p "$publish"
evaluate_and_publish "$runs" "$publish" "$publish/report.md" "${title:-Ablations at 64 px}" "${args[@]}"
echo "=== done $(date -u +%H:%M:%S)"
