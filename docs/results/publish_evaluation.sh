# Sourced by docs/results/ablation64.sh and docs/results/evaluate_runs.sh: one way to evaluate a set of finished
# GAN runs and publish the result, so every report under docs/results/ is made the same way.
#   evaluate_and_publish RUNS OUT REPORT TITLE [--model KERAS --name NAME]...
#     train/evaluate_gan.py generates one image per real mask of all 435 phantom images for every model and compares
#     them with all of them (RUNS/evaluation: report.md/.csv, grid.png); the ablation report (grain sizes,
#     discriminator balance, learned windows, the speckle term's share) of the run folders in RUNS goes to REPORT;
#     the evaluation's report and grid are copied to OUT as evaluation.md/.csv and grid.png.
evaluate_and_publish() {
  local runs=$1 out=$2 report=$3 title=$4
  shift 4
  python train/evaluate_gan.py "$@" --data phantom --out "$runs/evaluation"
  python -m specklegan_tf.experiments.ablation_report "$runs" --title "$title" --out "$report"
  cp "$runs/evaluation/grid.png" "$out/grid.png"
  cp "$runs/evaluation/report.md" "$out/evaluation.md"
  cp "$runs/evaluation/report.csv" "$out/evaluation.csv"
}
