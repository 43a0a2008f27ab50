#!/usr/bin/env bash
# Puts finished ablation runs that the cpu128-v2 budget would train again, option for option, into its reproduction
# folder, so that `reproduce` finds them finished and trains only the others (tests/experiments/
# test_budget_matches_ablations.py checks that the options agree). Run it before run.sh; it refuses to overwrite.
#   bash docs/results/cpu128-v2/import_ablation_runs.sh [reproduction-folder] ROUND_RUNS/ARM=BUDGET_RUN ...
# e.g. runs/ablation128-round38/baseline-dacc-div=baseline_n50_s0. Each ablation run's folder is copied to
# gan/BUDGET_RUN, its exports (SavedModel and .keras, from ROUND_RUNS/exports/) to gan/BUDGET_RUN/export/ where
# the budget's run would have written them, and its finished.json is pointed at the copies.
set -euo pipefail
cd "$(dirname "$0")/../../.."
RUNS=$1; shift
for pair in "$@"; do
  source_run=${pair%%=*} name=${pair#*=}
  arm=$(basename "$source_run") exports=$(dirname "$source_run")/exports
  target=$RUNS/gan/$name
  [ -f "$source_run/finished.json" ] || { echo "import_ablation_runs.sh: $source_run/finished.json does not exist" >&2; exit 2; }
  [ ! -e "$target" ] || { echo "import_ablation_runs.sh: $target exists; not overwritten" >&2; exit 2; }
  mkdir -p "$target/export"
  cp -a "$source_run/." "$target/"
  cp -a "$exports/$arm" "$target/export/$name"
  cp -a "$exports/$arm.keras" "$target/export/$name.keras"
  python - "$target" "$name" "$source_run" <<'PY'
import json, sys
from pathlib import Path

target, name, source = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
record = json.loads((target / "finished.json").read_text())
version = Path(record["savedmodel"]).name
record.update(savedmodel=str(target / "export" / name / version), keras=str(target / "export" / f"{name}.keras"),
              imported_from=source)
if record.get("final_grid"):
    record["final_grid"] = str(target / "samples" / Path(record["final_grid"]).name)
(target / "finished.json").write_text(json.dumps(record, indent=2) + "\n")
PY
  echo "imported $source_run as $target"
done
