#!/bin/bash
# Trains one row of the Fashion-MNIST study in docs/RESULTS.md: the shared recipe, a given model and seed,
# a given number of steps (the study matches training compute, so each model's steps follow from its
# FLOPs per forward: see docs/RESULTS.md).
#
# usage: scripts/study.sh OUTPUT SEED STEPS CHECKPOINT_EVERY MODEL-OPTIONS...
#   e.g. scripts/study.sh runs/study/dimr-tdrmsn-s1 1 1200 400 --preset fmnist-3r
# Environment: DIMR (the dimr binary, default .build/release/dimr), THREADS (default 1).
set -euo pipefail
output=$1 seed=$2 steps=$3 every=$4
shift 4
export OMP_WAIT_POLICY=PASSIVE
exec "${DIMR:-.build/release/dimr}" train "$@" --dataset fashion-mnist --precision bf16 \
  --steps "$steps" --batch-size 32 --lr 1e-3 --warmup 100 --ema-rate 0.999 --ema-warmup --grad-clip 1.0 \
  --weight-decay 0.03 --label-drop 0.1 --seed "$seed" --checkpoint-every "$every" --keep 100 \
  --threads "${THREADS:-1}" --log-every 50 --output "$output"
