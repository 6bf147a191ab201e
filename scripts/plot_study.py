"""Table and plots of the Fashion-MNIST study (docs/RESULTS.md) from the JSON files in docs/study/.

    .venv/bin/python scripts/plot_study.py [--dir docs/study]

Reads, for each run NAME: NAME.json (run facts: preset, seed, steps (the matched-compute budget, whose
evaluation the table shows), mflop_per_forward, parameters, images_per_s), NAME-eval-STEP.json (the `dimr eval`
output at that checkpoint, 1,000 samples: the plot's points) and NAME-eval10k-STEP.json (10,000 samples: the
table's figures where present). Prints the Markdown table
and writes docs/study-fid.png (classifier FID against training compute) and, when docs/study/grids/*.png exist,
docs/study-grids.png (the models' sample grids side by side).
"""
import argparse
import glob
import json
import os
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

BATCH = 32


def load(directory):
    runs = {}
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        name = os.path.basename(path)[:-5]
        if "-eval-" in name or "-eval10k-" in name:
            continue
        run = json.load(open(path))
        for kind in ("eval", "eval10k"):
            run[kind] = {}
            for e in glob.glob(os.path.join(directory, f"{name}-{kind}-*.json")):
                step = int(re.search(rf"-{kind}-(\d+)\.json$", e).group(1))
                run[kind][step] = json.load(open(e))["metrics"]
        run["evals"] = run.pop("eval")
        runs[name] = run
    return runs


def pflop(run, step):
    return 3 * run["mflop_per_forward"] * 1e6 * BATCH * step / 1e15


def table(runs):
    rows = ["| run | model | seed | parameters | MFLOP/forward | steps | training PFLOP | class accuracy | worst class | "
            "classifier FID | precision | recall | samples | train images/s |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, run in sorted(runs.items(), key=lambda kv: (kv[1]["preset"], kv[1]["seed"])):
        m, n = run["eval10k"].get(run["steps"]), "10,000"
        if m is None:
            m, n = run["evals"].get(run["steps"]), "1,000"
        if m is None:
            done = max(run["evals"]) if run["evals"] else 0
            rows.append(f"| {name} | {run['preset']} | {run['seed']} | {run['parameters']:,} | {run['mflop_per_forward']:.1f} | "
                        f"{run['steps']} | {pflop(run, run['steps']):.3f} | not trained this far (last: step {done}) "
                        f"| | | | | | {run['images_per_s']:.0f} |")
            continue
        per = m.get("class_accuracy_per_class", {})
        worst = min(per.items(), key=lambda kv: kv[1])
        rows.append(f"| {name} | {run['preset']} | {run['seed']} | {run['parameters']:,} | {run['mflop_per_forward']:.1f} | "
                    f"{run['steps']} | {pflop(run, run['steps']):.3f} | {m['class_accuracy']:.3f} | "
                    f"{worst[0].split(' ', 1)[1]} {worst[1]:.2f} | {m['classifier_fid']:.1f} | "
                    f"{m['classifier_precision']:.3f} | {m['classifier_recall']:.3f} | {n} | {run['images_per_s']:.0f} |")
    return "\n".join(rows)


def plot(runs, out):
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    groups = {}
    for run in runs.values():
        groups.setdefault(run["preset"], []).append(run)
    for preset, members in sorted(groups.items()):
        color = None
        for run in members:
            label = f"{preset} seed {run['seed']}"
            for kind, style in (("evals", "-o" if run["seed"] == 1 else "--s"), ("eval10k", "*")):
                steps = sorted(run[kind])
                if not steps:
                    continue
                xs = [pflop(run, s) for s in steps]
                for ax, key in ((left, "classifier_fid"), (right, "class_accuracy")):
                    (drawn,) = ax.plot(xs, [run[kind][s][key] for s in steps], style, color=color, markersize=9 if kind == "eval10k" else 5,
                                       label=label)
                color, label = drawn.get_color(), None
    left.set_yscale("log")
    left.set_ylabel("classifier FID (log scale)")
    right.set_ylabel("class accuracy (chance 0.1)")
    for ax in (left, right):
        ax.set_xlabel("training compute (PFLOP: 3 x forward FLOPs x batch x steps)")
        ax.grid(alpha=0.3, which="both")
    right.legend(fontsize=7)
    fig.suptitle("Fashion-MNIST, UniPC-2 5 steps: 1,000 class-balanced samples per point, 10,000 per star")
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def grids(directory, out):
    paths = sorted(glob.glob(os.path.join(directory, "grids", "*.png")))
    if not paths:
        return
    fig, axes = plt.subplots(1, len(paths), figsize=(3.4 * len(paths), 3.5))
    for ax, path in zip(axes if len(paths) > 1 else [axes], paths):
        ax.imshow(plt.imread(path), cmap="gray")
        ax.set_title(os.path.basename(path)[:-4].split("_", 1)[-1].replace("_", " "), fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", default="docs/study")
    args = parser.parse_args()
    runs = load(args.dir)
    print(table(runs))
    plot(runs, "docs/study-fid.png")
    grids(args.dir, "docs/study-grids.png")


if __name__ == "__main__":
    main()
