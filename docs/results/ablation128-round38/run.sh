#!/usr/bin/env bash
# Trains and evaluates the runs of variants.txt: SEEDS="0 1" bash docs/results/ablation128-round38/run.sh [runs-folder] (docs/results/ablation64.sh)
exec bash "$(dirname "$0")/../ablation64.sh" "$(dirname "$0")" "${1:-runs/ablation128-round38}"
# Round 35: round 34's DiffAugment without translation (color,cutout) for both models at n = 435, round 29's budget
# (lr 3e-4, instance normalisation in SPADE for both, 23 epochs x 54 steps = 1,242 generator updates). The
# no-DiffAugment arms are round 29's runs (same budget and seeds, same AMD EPYC type with AVX-512). Run:
#   ORDER="baseline-dacc display-polar-data-dacc" SEEDS="0 1" bash docs/results/ablation128-round38/run.sh
