#!/usr/bin/env bash
# Trains and evaluates the runs of variants.txt: SEEDS="0 1" bash docs/results/ablation128-round57/run.sh [runs-folder] (docs/results/ablation64.sh)
exec bash "$(dirname "$0")/../ablation64.sh" "$(dirname "$0")" "${1:-runs/ablation128-round57}"
# What the round compares and the command that ran it: variants.txt beside this file.
