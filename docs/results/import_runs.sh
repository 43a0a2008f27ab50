#!/usr/bin/env bash
# Puts finished runs that a budget would train again, option for option, into its reproduction folder, so that
# `reproduce` finds them finished and trains only the others (tests/experiments/test_budget_matches_ablations.py
# checks that the options agree; fit_gan.py refuses a run folder whose options differ). Run it before the budget's
# run.sh; it refuses to overwrite.
#   bash docs/results/import_runs.sh REPRODUCTION_FOLDER SOURCE_RUN=BUDGET_RUN ...
# SOURCE_RUN is either an ablation round's run (runs/ablation128-round38/baseline-dacc-div, exports in the round's
# exports/ folder) or another reproduction's run (runs/reproduce_cpu128-v2/gan/baseline_n50_s0, exports in its own
# export/ folder). The run folder is copied to gan/BUDGET_RUN, its exports (SavedModel and .keras) to
# gan/BUDGET_RUN/export/ where the budget's run would have written them, and its finished.json is pointed at the
# copies (and names where it was imported from).
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=$1; shift
for pair in "$@"; do
  source_run=${pair%%=*} name=${pair#*=}
  arm=$(basename "$source_run")
  target=$RUNS/gan/$name
  [ -f "$source_run/finished.json" ] || { echo "import_runs.sh: $source_run/finished.json does not exist" >&2; exit 2; }
  [ ! -e "$target" ] || { echo "import_runs.sh: $target exists; not overwritten" >&2; exit 2; }
  mkdir -p "$target"
  cp -a "$source_run/." "$target/"
  if [ -d "$source_run/export/$arm" ]; then  # a reproduction's run: exports already inside, renamed if needed
    rm -f "$target/stage.json"                # that reproduction's record; this one's stage writes its own
    if [ "$arm" != "$name" ]; then
      mv "$target/export/$arm" "$target/export/$name"
      mv "$target/export/$arm.keras" "$target/export/$name.keras"
    fi
  else                                        # an ablation round's run: exports beside the runs
    exports=$(dirname "$source_run")/exports
    mkdir -p "$target/export"
    cp -a "$exports/$arm" "$target/export/$name"
    cp -a "$exports/$arm.keras" "$target/export/$name.keras"
  fi
  python - "$target" "$name" "$source_run" <<'PY'
import json, sys
from pathlib import Path

target, name, source = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
record = json.loads((target / "finished.json").read_text())
version = Path(record["savedmodel"]).name
record.update(savedmodel=str(target / "export" / name / version), keras=str(target / "export" / f"{name}.keras"),
              imported_from=record.get("imported_from") or source)
if record.get("final_grid"):
    record["final_grid"] = str(target / "samples" / Path(record["final_grid"]).name)
(target / "finished.json").write_text(json.dumps(record, indent=2) + "\n")
PY
  echo "imported $source_run as $target"
done
