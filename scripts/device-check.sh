#!/usr/bin/env bash
# The checks of the CUDA build on a GPU machine, in one run of under 8 minutes. Run from the repository root with
# the binaries of scripts/build-cuda.sh (.build-cuda/carry/*.xz, unpacked here, or .build-cuda/dist/; DIMR_BIN=folder
# for others) on a machine with an NVIDIA GPU and a Python with torch 2.11 (CUDA 13) installed, whose libraries the
# binaries load:
#
#   OUT=/some/folder scripts/device-check.sh
#
# Each step writes OUT/NN-name.log (command, output, exit status, seconds) and a line to OUT/summary.txt; a step
# that fails or times out does not stop the others, and steps are skipped (and say so) once the time budget
# (DEVICE_CHECK_BUDGET seconds, default 450) is spent. The script's exit status is the number of failed steps.
# Steps, most important first: the machine (GPU, torch, glibc, libraries the binaries miss); dimr info; sampling from
# the bundled model on the GPU (its images become a small training set: no dataset need be on the machine); dimr train
# on the GPU alone and as a 1-process NCCL job (torchrun's variables), their losses compared; --nproc 1 and --nproc 2
# on the GPU (with one GPU the second must fail naming cuda:1); a 2-process Gloo run on the CPU; dimr parity on the
# committed fixtures (on the GPU when dimr parity takes --device); GPU training and sampling throughput at float32 and
# bf16; dimr-bench model (a CPU benchmark; beside the authors' code when it is carried and runs).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-.build-cuda/device-check}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
BUDGET=${DEVICE_CHECK_BUDGET:-450}
START=$(date +%s)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PY=${PYTHON:-python3}
if [ -n "${DIMR_BIN:-}" ]; then
  BIN=$(cd "$DIMR_BIN" && pwd)
elif [ -f .build-cuda/carry/dimr.xz ]; then  # what the run tool carries: unpack (xz, else Python's lzma)
  BIN="$WORK/bin"
  mkdir -p "$BIN"
  for f in .build-cuda/carry/*.xz; do
    b="$BIN/$(basename "$f" .xz)"
    xz -dc "$f" >"$b" 2>/dev/null \
      || "$PY" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$f" "$b"
    chmod +x "$b"
  done
else
  BIN=$(pwd)/.build-cuda/dist
fi
SUMMARY="$OUT/summary.txt"
: >"$SUMMARY"
failures=0 n=0
SHARED=(OUT WORK PY)  # the variables the step functions read (more are added below)
note() { printf '%s\n' "$*" | tee -a "$SUMMARY"; }

# step NAME SECONDS COMMAND...: runs COMMAND with a time limit (SIGINT, then SIGKILL 10 s later), logged.
step() {
  local name=$1 limit=$2; shift 2
  n=$((n + 1))
  local log
  log="$OUT/$(printf '%02d' "$n")-$name.log"
  local elapsed=$(($(date +%s) - START))
  if [ $((elapsed + limit)) -gt "$BUDGET" ] && [ "$limit" -gt 20 ]; then
    note "SKIP $name: ${elapsed}s of the ${BUDGET}s budget spent, the step may take ${limit}s"
    return 0
  fi
  { printf '$'; printf ' %q' "$@"; printf '\n\n'; } >"$log"
  local t0 t1 status
  t0=$(date +%s.%N)
  if declare -F "$1" >/dev/null; then  # a function of this script: run in a child bash, with what it uses
    timeout --signal=INT --kill-after=10 "$limit" bash -c "$(declare -p "${SHARED[@]}"); $(declare -f); set -o pipefail; \"\$@\"" \
      step "$@" >>"$log" 2>&1
  else
    timeout --signal=INT --kill-after=10 "$limit" "$@" >>"$log" 2>&1
  fi
  status=$?
  t1=$(date +%s.%N)
  local secs
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  printf '\n[exit status %s, %s s]\n' "$status" "$secs" >>"$log"
  if [ "$status" = 0 ]; then
    note "ok   $name (${secs} s)"
  else
    failures=$((failures + 1))
    local why="exit status $status"
    [ "$status" = 124 ] || [ "$status" = 130 ] && why="timed out after ${limit} s (exit status $status)"
    note "FAIL $name: $why, ${secs} s; last lines of $(basename "$log"):"
    tail -n 5 "$log" | sed 's/^/       /' | tee -a "$SUMMARY" >/dev/null
  fi
  return 0
}

# --- the machine and the libraries ---
TORCH_DIR=$("$PY" -c 'import torch, os; print(os.path.dirname(torch.__file__))' 2>/dev/null)
if [ -z "$TORCH_DIR" ]; then
  note "FAIL torch: $PY cannot import torch; the binaries need its lib/ folder (PYTHON=... picks another Python)"
  failures=$((failures + 1))
else
  SITE=$(dirname "$TORCH_DIR")
  libpath="$TORCH_DIR/lib"
  for d in "$SITE"/nvidia/*/lib; do [ -d "$d" ] && libpath="$libpath:$d"; done
  export LD_LIBRARY_PATH="$libpath${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
DIMR="$BIN/dimr"
BENCH="$BIN/dimr-bench"
DATA="$WORK/data"
SHARED+=(DIMR BENCH DATA TORCH_DIR)
machine() {
  echo "date: $(date -u)"; uname -a; ldd --version | head -n 1; echo "cores: $(nproc)"
  nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv || echo "no nvidia-smi"
  "$PY" -c 'import torch; print("python torch", torch.__version__, "cuda", torch.version.cuda, "gpus", torch.cuda.device_count(),
    "nccl", torch.cuda.nccl.version() if torch.cuda.is_available() else None)'
  echo "torch: $TORCH_DIR"; echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  local ok=0
  for b in "$DIMR" "$BENCH"; do
    echo "== $b"; ls -l "$b" || { ok=1; continue; }
    ldd "$b" | grep -E 'not found|torch|c10|cudart|nccl|png|jpeg|libz|stdc'
    ! ldd "$b" | grep -q 'not found' || ok=1
  done
  return $ok
}
step machine 30 machine
[ -x "$DIMR" ] || note "no $DIMR: build it with scripts/build-cuda.sh and carry .build-cuda/carry"
step version 30 "$DIMR" --version
step info 30 "$DIMR" info

# --- sampling on the GPU; its images become a training set of 10 classes (no dataset need be on the machine) ---
sample_args=(sample models/dimr-fmnist-3r.safetensors --sampler unipc-2 --guidance constant --scale 1.0)
SHARED+=(sample_args)
step sample-cuda 90 "$DIMR" "${sample_args[@]}" --per-class 32 --steps 10 --device cuda --output "$WORK/sampled"
make_data() {  # from the GPU's samples; should that step have failed, from the CPU's, so the training steps still run
  if ! compgen -G "$WORK/sampled/images/*.png" >/dev/null; then
    echo "no GPU samples: sampling fewer on the CPU instead"
    "$DIMR" "${sample_args[@]}" --per-class 8 --steps 5 --device cpu --output "$WORK/sampled" --overwrite || return 1
  fi
  cp "$WORK/sampled/grid.png" "$OUT/sampled-grid.png"
  for f in "$WORK"/sampled/images/*-class-*.png; do
    k=${f##*-class-}; k=${k%.png}; mkdir -p "$DATA/c$k"; mv "$f" "$DATA/c$k/"
  done
  echo "$(find "$DATA" -name '*.png' | wc -l) images in $(ls "$DATA" | wc -l) classes"
}
step training-data 120 make_data

# --- training on the GPU: alone, as a 1-process NCCL job, with --nproc 1 and --nproc 2 (2 needs 2 GPUs) ---
free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
train_args=(train --dataset "$DATA" --preset fmnist-3r --batch-size 32 --steps 5 --warmup 0 --log-every 1
            --checkpoint-every 0 --keep 1 --dist-timeout 60)
SHARED+=(train_args)
train_compare() {
  "$DIMR" "${train_args[@]}" --device cuda --output "$WORK/alone" || return 1
  env WORLD_SIZE=1 RANK=0 LOCAL_RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT="$(free_port)" \
    "$DIMR" "${train_args[@]}" --device cuda --output "$WORK/nccl1" || return 1
  cp "$WORK/nccl1/metrics.jsonl" "$OUT/nccl1-metrics.jsonl"
  # One process either way: the same images, noise and weights, and the NCCL sum over one rank is the gradient
  # itself; what may differ is the GPU's own run-to-run rounding (atomic adds in some backward kernels).
  "$PY" - "$WORK/alone/metrics.jsonl" "$WORK/nccl1/metrics.jsonl" <<'EOS'
import json, sys
a, b = ([json.loads(l)["loss"] for l in open(p) if '"loss"' in l] for p in sys.argv[1:])
print("losses alone:", a)
print("losses NCCL: ", b)
worst = max((abs(x - y) / max(abs(x), 1e-12) for x, y in zip(a, b)), default=float("inf"))
print(f"worst relative loss difference {worst:.2e} over {len(a)} steps")
sys.exit(0 if len(a) == len(b) == 5 and worst <= 1e-4 else 1)
EOS
}
step train-cuda-alone-vs-nccl1 120 train_compare
step train-cuda-nproc1 60 "$DIMR" "${train_args[@]}" --device cuda --nproc 1 --output "$WORK/nproc1"
gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)
if [ "${gpus:-0}" -ge 2 ]; then
  step train-cuda-nproc2-nccl 90 "$DIMR" "${train_args[@]}" --device cuda --nproc 2 --output "$WORK/nproc2"
else  # one GPU: rank 1 has no cuda:1, and says so
  expect_refusal() {
    local out status
    out=$("$DIMR" "${train_args[@]}" --device cuda --nproc 2 --dist-timeout 20 --output "$WORK/nproc2" 2>&1)
    status=$?
    printf '%s\n[dimr exit status %s; expected: non-zero, naming cuda:1]\n' "$out" "$status"
    [ "$status" != 0 ] && grep -q 'cuda:1' <<<"$out"
  }
  step train-cuda-nproc2-one-gpu-refused 90 expect_refusal
fi
step train-cpu-gloo-nproc2 90 "$DIMR" "${train_args[@]}" --device cpu --nproc 2 --steps 3 --output "$WORK/gloo2"

# --- parity on the committed fixtures (the authors' numbers): on the GPU when dimr parity takes --device ---
parity_device=()
if "$DIMR" parity --help 2>/dev/null | grep -q -- '--device'; then
  parity_device=(--device cuda)
else
  note "note: dimr parity has no --device option in this tree: parity runs on the CPU (the CUDA build's CPU path)"
fi
for f in Tests/DiMRTests/Fixtures/tiny2r_tdrmsn.safetensors Tests/DiMRTests/Fixtures/tiny2r_ln_blockgrad.safetensors \
         Tests/AutoencoderTests/Fixtures/vae_tiny.safetensors; do
  if [ -f "$f" ]; then step "parity-$(basename "$f" .safetensors)" 60 "$DIMR" parity "$f" "${parity_device[@]}"
  else note "SKIP parity: $f is not in the tree"; fi
done

# --- GPU throughput: training (the bench preset, 8.6M parameters) and sampling, float32 and bf16 ---
for precision in float32 bf16; do
  step "train-cuda-bench-$precision" 75 "$DIMR" train --dataset "$DATA" --preset bench --batch-size 256 --steps 30 \
    --warmup 0 --log-every 10 --checkpoint-every 0 --keep 1 --device cuda --precision "$precision" \
    --output "$WORK/bench-$precision"
  step "sample-cuda-$precision" 60 "$DIMR" sample models/dimr-fmnist-3r.safetensors --device cuda --precision "$precision" \
    --per-class 100 --steps 25 --guidance constant --scale 1.0 --output "$WORK/sample-$precision"
done

# --- dimr-bench model (its own process per side; CPU, as it measures there), beside the authors' code if runnable ---
bench_args=(model --preset fmnist-3r --repeats 2 --batch 16 --steps 2 --sample-batch 10 --nfe 10 --checkpointing off
            --json "$OUT/bench-model.json")
if "$BENCH" model --help 2>&1 | grep -q -- '--device'; then bench_args+=(--device cuda); fi
AUTHORS=${DIMR_AUTHORS_REPO:-.deps/authors-DiMR}
if [ -f "$AUTHORS/dpm_solver.py" ] && "$PY" -c 'import numpy, einops' 2>/dev/null; then
  bench_args+=(--authors "$AUTHORS" --python "$PY" --references published)
else
  note "note: the authors' code is not beside dimr-bench here ($AUTHORS missing, or python3 lacks numpy/einops): our side only"
  bench_args+=(--references published)
fi
step bench-model 150 env OMP_WAIT_POLICY=PASSIVE "$BENCH" "${bench_args[@]}"

note "done: $n steps, $failures failed, $(($(date +%s) - START)) s"
exit "$failures"
