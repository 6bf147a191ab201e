"""Table and plot of the quality-per-call study (scripts/sampling_study.sh).

    .venv/bin/python scripts/plot_sampling_study.py [docs/sampling-study] [docs/sampling-fid.png] [MODEL TITLE]

Reads every setting's `dimr eval` JSON, prints a Markdown table (network evaluations per image, classifier
FID, class accuracy, precision, recall, sampling images/s) sorted by sampler and NFE, and draws classifier
FID against NFE, one line per sampler and interval/precision variant. Needs matplotlib (not used by the tests).
"""
import json
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402


def load(folder):
    """One row per setting: protocol and timing from NAME.sampling.json, metrics from NAME.measure.json."""
    rows = []
    folder = pathlib.Path(folder)
    for path in sorted(folder.glob("*.measure.json")):
        name = path.name[: -len(".measure.json")]
        metrics = json.loads(path.read_text())["metrics"]
        common = dict(name=name, fid=metrics.get("classifier_fid"), acc=metrics.get("class_accuracy"),
                      precision=metrics.get("classifier_precision"), recall=metrics.get("classifier_recall"))
        sampling = folder / f"{name}.sampling.json"
        if not sampling.exists():
            n = json.loads(path.read_text())["protocol"].get("n")
            rows.append(dict(common, real=True, nfe=0, ips=None, n=n, sampler="real images", variant=""))
            continue
        report = json.loads(sampling.read_text())
        proto, timing = report["protocol"], report["timing"]
        interval = proto.get("guidance_interval", "none")
        variant = ("interval " if not interval.startswith("none") else "") + (
            "bf16" if proto.get("sampling_precision") == "bf16" else "")
        rows.append(dict(common, real=False, nfe=proto["nfe"], ips=timing.get("sampling_images_per_s"), n=proto.get("n"),
                         sampler=proto["sampler"].split(" (")[0], variant=variant.strip(), steps=proto.get("solver_steps")))
    return rows


def family(name):
    """The setting's name without its step count (the last all-digit part): unipc-2-10-interval -> unipc-2-interval."""
    parts = name.split("-")
    numeric = [i for i, part in enumerate(parts) if part.isdigit()]
    return "-".join(parts[: numeric[-1]] + parts[numeric[-1] + 1:]) if numeric else name


def fmt(value, spec):
    return "-" if value is None else format(value, spec)


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "docs/sampling-study"
    figure = sys.argv[2] if len(sys.argv) > 2 else "docs/sampling-fid.png"
    model = sys.argv[3] if len(sys.argv) > 3 else "bundled fmnist-3r model"
    rows = load(folder)
    rows.sort(key=lambda r: (r["real"], family(r["name"].split("-seed")[0]), r["nfe"], r["name"]))
    print("| setting | solver steps | NFE per image | classifier FID | class accuracy | precision | recall | images/s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['name']} | {r.get('steps', '-')} | {r['nfe'] or '-'} | {fmt(r['fid'], '.2f')} | {fmt(r['acc'], '.3f')} | "
              f"{fmt(r['precision'], '.3f')} | {fmt(r['recall'], '.3f')} | {fmt(r['ips'], '.2f')} |")
    groups = {}
    for r in rows:
        if not r["real"] and r["fid"] is not None and "-seed" not in r["name"]:  # other seeds: table only
            groups.setdefault(family(r["name"]), []).append(r)
    fig, ax = plt.subplots(figsize=(8.5, 5.2), dpi=110)
    for label, members in sorted(groups.items()):
        members.sort(key=lambda r: r["nfe"])
        if len(members) == 1:  # a single setting (the authors' 250 calls): a marker and a level line to compare with
            r = members[0]
            ax.axhline(r["fid"], color="black", linestyle=":", linewidth=1)
            ax.plot([r["nfe"]], [r["fid"]], marker="*", markersize=11, color="black", linestyle="none",
                    label=f"{r['name']} (the authors' setting)" if r["name"].startswith("dpm-solver-250") else r["name"])
            continue
        ax.plot([r["nfe"] for r in members], [r["fid"] for r in members], marker="o",
                label=label if "bf16" in label else f"{label} (float32)")
    for r in rows:
        if r["name"] == "real-train" and r["fid"] is not None:
            ax.axhline(r["fid"], color="gray", linestyle="--", linewidth=1, label=f"real training images (N = {r['n']})")
    ax.set_xscale("log")
    ax.set_yscale("log")  # FID spans two orders of magnitude from the fewest calls to real images
    ax.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.set_yticks([t for t in [5, 10, 20, 30, 50, 100, 200, 400] if min(r["fid"] for r in rows if r["fid"]) / 2 < t
                   < max(r["fid"] for r in rows if r["fid"]) * 2])
    ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    nfes = sorted({r["nfe"] for r in rows if not r["real"]})
    ax.set_xticks([t for t in [5, 7, 10, 14, 20, 30, 50, 100, 250, 500] if nfes and nfes[0] <= t <= nfes[-1]])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("network evaluations per image (log scale)")
    ax.set_ylabel("classifier FID (lower is better)")
    n = next((r["n"] for r in rows if not r["real"]), "?")
    ax.set_title(f"{model}: quality per network call (N = {n}, guidance scale 1)", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(figure)
    print(f"\nwrote {figure}", file=sys.stderr)


if __name__ == "__main__":
    main()
