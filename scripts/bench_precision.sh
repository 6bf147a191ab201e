#!/usr/bin/env bash
# float32 against bfloat16 mixed precision, interleaved in one run: `dimr-bench model` alternates the two
# precisions REPEATS times per preset (so load from other processes falls on both alike) and the summary gives
# each figure's median with its min-max spread. Needs a release build (`swift build -c release`).
#
#   scripts/bench_precision.sh [REPEATS] [PRESET...]      (default: 5 fmnist-3r bench)
#
# Environment: THREADS (default 2), BATCH (training batch, default 32), SAMPLE_BATCH (images sampled per run,
# default 10), NFE (solver steps with guidance, default 25), STEPS (timed training steps per run, default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
bench=.build/release/dimr-bench
[ -x "$bench" ] || { echo "build first: swift build -c release --product dimr-bench" >&2; exit 1; }
repeats=${1:-5}
shift || true
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(fmnist-3r bench)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for preset in "${presets[@]}"; do
  for ((r = 1; r <= repeats; r++)); do
    for precision in float32 bf16; do
      "$bench" model --preset "$preset" --batch "${BATCH:-32}" --steps "${STEPS:-3}" --sample-batch "${SAMPLE_BATCH:-10}" \
        --nfe "${NFE:-25}" --threads "${THREADS:-2}" --no-checkpointing --precision "$precision" \
        | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)))' >> "$out"
      echo "$preset $precision repeat $r/$repeats done" >&2
    done
  done
done
python3 - "$out" "${NFE:-25}" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
nfe = int(sys.argv[2])
print("| preset | figure | float32 | bf16 | bf16 speed-up |")
print("| --- | --- | --- | --- | --- |")
for preset in dict.fromkeys(r["preset"] for r in runs):
    for key, name in [("train_s_per_step", "s per training step, batch %d" % runs[0]["batch"]),
                      ("train_cpu_s_per_step", "processor s per training step"),
                      ("sample_images_per_s", "guided images/s, %d solver steps" % nfe),
                      ("sample_cpu_s_per_image", "processor s per guided image")]:
        values = {p: [r["swift"][key] for r in runs if r["preset"] == preset and r["precision"] == p] for p in ("float32", "bf16")}
        cell = lambda v: "%.3g (%.3g-%.3g)" % (statistics.median(v), min(v), max(v))
        m32, m16 = statistics.median(values["float32"]), statistics.median(values["bf16"])
        ratio = m16 / m32 if key == "sample_images_per_s" else m32 / m16
        print("| %s | %s | %s | %s | %.2fx faster |" % (preset, name, cell(values["float32"]), cell(values["bf16"]), ratio))
print("\n%d runs, %d threads, libtorch %s" % (len(runs), runs[0]["threads"], runs[0]["libtorch"]))
PY
