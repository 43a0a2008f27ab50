#!/usr/bin/env bash
# Trains and evaluates the runs of variants.txt: bash docs/results/ablation64-round6/run.sh [runs-folder] (docs/results/ablation64.sh)
exec bash "$(dirname "$0")/../ablation64.sh" "$(dirname "$0")" "${1:-runs/ablation64-round6}"
