#!/usr/bin/env bash
# Evaluates the finished GAN runs of a reproduction folder the way the 64 px ablations are evaluated: every run
# generates one image per real mask of all 435 phantom images and is compared with all of them
# (train/evaluate_gan.py: evaluation.md/.csv, grid.png in OUT), then the ablation report (grain sizes,
# discriminator balance, learned windows, the speckle term's share) is written to REPORT. An unfinished run is
# left out, and said so.
#   bash docs/results/evaluate_runs.sh REPRODUCTION_FOLDER OUT REPORT TITLE RUN...
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=$1; OUT=$2; REPORT=$3; TITLE=$4; shift 4
args=()
for run in "$@"; do
  record="$RUNS/gan/$run/finished.json"
  [ -f "$record" ] || { echo "evaluate_runs.sh: $record does not exist: run $run is not finished, left out" >&2; continue; }
  keras=$(python -c "import json, sys; print(json.load(open(sys.argv[1]))['keras'])" "$record")
  args+=(--model "$keras" --name "$run")
done
source docs/results/publish_evaluation.sh
evaluate_and_publish "$RUNS/gan" "$OUT" "$REPORT" "$TITLE" "${args[@]}"
