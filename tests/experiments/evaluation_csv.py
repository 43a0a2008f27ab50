"""Writes small evaluate_gan.py-style report.csv files for the tests of the tools that combine evaluations."""
import csv

TISSUE_GRAINS = [f"speckle_{who}_{c}_{a}_grain_px" for who in ("real", "fake")
                 for c in ("intima_media", "background") for a in ("axial", "lateral")]


def write_evaluation_csv(path, runs: dict[str, float]):
    """An evaluate_gan.py-style report.csv: one column per run; texture FD as given, the rest derived from it."""
    metrics = {"texture_fd": runs, "kid_texture_mean": {r: v / 10 for r, v in runs.items()},
               "ssim_mean": {r: 1 - v for r, v in runs.items()},
               **{g: {r: 2.0 + (v if "fake" in g else 0.0) for r, v in runs.items()} for g in TISSUE_GRAINS}}
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["metric", *runs])
        for metric, values in metrics.items():
            writer.writerow([metric, *(repr(values[r]) for r in runs)])
    return path
