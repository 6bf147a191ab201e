#!/usr/bin/env bash
# The quality-per-call study of docs/SAMPLING.md: `dimr eval` of one model over a grid of samplers, step
# counts, guidance intervals and precisions, one JSON per setting (settings already measured are skipped,
# so an interrupted study continues where it stopped).
#
#   scripts/sampling_study.sh [MODEL] [N] [OUT]      # defaults: the bundled model, 1000, docs/sampling-study
#   THREADS=1 SETTINGS="name sampler steps interval precision;..." scripts/sampling_study.sh
#
# Every setting uses constant guidance with scale 1 (standard scale 2, as `make demo`), seed 0, class-balanced
# samples, and the project's Fashion-MNIST classifier measure against the 10,000 test images.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-models/dimr-fmnist-3r.safetensors}
N=${2:-1000}
OUT=${3:-docs/sampling-study}
DIMR=${DIMR:-.build/release/dimr}
THREADS=${THREADS:-2}
SEED=${SEED:-0}                           # another seed measures the noise: names get a -seedN suffix
# name sampler steps interval(- = every step) precision. Intervals are on the authors' t scale: 75,815 is EDM2-S's
# sigma in (0.28, 5.42]; 200,1000 skips the unconditional pass only at low noise. The grid of docs/SAMPLING.md
# (N = 1000); its second seeds were run apart, with SEED=1 and SETTINGS naming unipc-2-5-bf16, unipc-2-10-bf16 and
# dpm-solver-50-bf16 (docs/SAMPLING.md has the command).
DEFAULT_SETTINGS="dpm-solver-250 dpm-solver 250 - float32"
for steps in 3 4 5 8 10 15 25; do DEFAULT_SETTINGS+=";unipc-2-$steps-bf16 unipc-2 $steps - bf16"; done
for steps in 5 10 15 25 50; do DEFAULT_SETTINGS+=";dpm-solver-$steps-bf16 dpm-solver $steps - bf16"; done
for steps in 5 10 15 25; do
  DEFAULT_SETTINGS+=";unipc-3-$steps-bf16 unipc-3 $steps - bf16;dpm-solver++-$steps-bf16 dpm-solver++ $steps - bf16"
done
for steps in 10 25 50; do DEFAULT_SETTINGS+=";ddim-$steps-bf16 ddim $steps - bf16"; done
for steps in 10 25; do DEFAULT_SETTINGS+=";dpm-solver++-3m-sde-$steps-bf16 dpm-solver++-3m-sde $steps - bf16"; done
DEFAULT_SETTINGS+=";unipc-2-10-interval-bf16 unipc-2 10 75,815 bf16;unipc-2-25-interval-bf16 unipc-2 25 75,815 bf16"
DEFAULT_SETTINGS+=";unipc-2-5-lowskip-bf16 unipc-2 5 200,1000 bf16;unipc-2-10-lowskip-bf16 unipc-2 10 200,1000 bf16"
DEFAULT_SETTINGS+=";unipc-2-5 unipc-2 5 - float32;unipc-2-10 unipc-2 10 - float32"
SETTINGS=${SETTINGS:-$DEFAULT_SETTINGS}
SAMPLES=${SAMPLES:-runs/sampling-study}   # the generated .npz files (not committed)
[ -x "$DIMR" ] || { echo "build first: swift build -c release (or set DIMR)" >&2; exit 1; }
mkdir -p "$OUT" "$SAMPLES"
# One study per samples folder: two would write the same NAME.npz and NAME.sampling.json.partial.
exec 9>"$SAMPLES/.sampling_study.lock"
flock -n 9 || { echo "another scripts/sampling_study.sh is writing $SAMPLES (its lock: $SAMPLES/.sampling_study.lock)" >&2; exit 1; }
# Two passes: each setting's samples are generated (timed, NAME.sampling.json) and saved, then measured with the
# classifier (NAME.measure.json), so sampling can start before the classifier exists and timings stay clean.
suffix=$([ "$SEED" = 0 ] || echo "-seed$SEED")
settings() { echo "$SETTINGS" | tr ';' '\n' | while read -r name rest; do [ -n "${name:-}" ] && echo "$name$suffix $rest"; done; }
settings | while read -r name sampler steps interval precision; do
  json="$OUT/$name.sampling.json"
  if [ -s "$json" ]; then echo "$name: sampled before"; continue; fi
  if [[ "$precision" == bf16 ]] && ! grep -qE 'avx512_bf16|amx_bf16' /proc/cpuinfo; then
    echo "$name: skipped, this CPU has neither AVX512-BF16 nor AMX"; continue
  fi
  args=(eval "$MODEL" -n "$N" --sampler "$sampler" --steps "$steps" --guidance constant --scale 1
        --precision "$precision" --seed "$SEED" --threads "$THREADS" --classifier none
        --save-samples "$SAMPLES/$name.npz" --output "$json.partial")
  [ "$interval" = "-" ] || args+=(--guidance-interval "$interval")
  echo "$name: $DIMR ${args[*]}"
  "$DIMR" "${args[@]}" > /dev/null
  mv "$json.partial" "$json"
done
[ -f "${CLASSIFIER:-models/fmnist-classifier.safetensors}" ] || { echo "no classifier yet: measure later by running this again"; exit 0; }
settings | while read -r name _; do
  json="$OUT/$name.measure.json"
  [ -s "$json" ] || [ ! -s "$OUT/$name.sampling.json" ] && continue
  "$DIMR" eval --samples "$SAMPLES/$name.npz" --classifier "${CLASSIFIER:-models/fmnist-classifier.safetensors}" \
    --threads "$THREADS" --output "$json.partial" > /dev/null
  mv "$json.partial" "$json"
done
# Real images in the same units and the same N: the first N training images, with their labels and shuffled ones.
for baseline in real-train real-train-shuffled; do
  [ -s "$OUT/$baseline.measure.json" ] && continue
  extra=(); [ "$baseline" = real-train-shuffled ] && extra=(--shuffle-labels 1)
  "$DIMR" eval --samples fashion-mnist:train -n "$N" "${extra[@]}" --threads "$THREADS" \
    --classifier "${CLASSIFIER:-models/fmnist-classifier.safetensors}" \
    --output "$OUT/$baseline.measure.json.partial" > /dev/null
  mv "$OUT/$baseline.measure.json.partial" "$OUT/$baseline.measure.json"
done
