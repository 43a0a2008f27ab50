#!/usr/bin/env bash
# The whole cpu128-v3 budget (docs/results/cpu128-v3/README.md): twelve GAN runs at 128 px, its report and every run
# evaluated on all 435 phantom images; resumable. bash docs/results/cpu128-v3/run.sh [reproduction-folder]
exec bash "$(dirname "$0")/../run_budget.sh" cpu128-v3 "$@"
