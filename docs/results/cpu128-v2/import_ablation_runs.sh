#!/usr/bin/env bash
# The import that docs/results/cpu128-v2/README.md ran; now docs/results/import_runs.sh (same arguments).
exec bash "$(dirname "$0")/../import_runs.sh" "$@"
