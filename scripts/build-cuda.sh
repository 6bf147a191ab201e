#!/usr/bin/env bash
# Builds `dimr` and `dimr-bench` for a CUDA machine with NCCL data parallelism compiled in, against the CUDA 13
# build of torch==2.11.0 (the PyTorch of the lent GPU machines; DIMR_CUDA_TORCH picks another version of that wheel).
#
# Fetches with `pip download --no-deps` (nothing is installed into any Python) the torch wheel and the NVIDIA wheels
# whose headers ProcessGroupNCCL.hpp pulls in (the CUDA runtime, its crt/ and CCCL's nv/, cuBLAS, cuSPARSE, cuSOLVER,
# NCCL), at the versions torch's own metadata pins, and unpacks them into .deps/torch-cuda (git-ignored) laid out as
# pip installs them: torch/{include,lib} and nvidia/*/{include,lib}, so that torch's libraries find NVIDIA's through
# their own rpath ($ORIGIN/../../nvidia/...). Then it runs, with libpng and libjpeg linked statically (a GPU machine
# need not have Debian's),
#   DIMR_CUDA=1 DIMR_NCCL=1 DIMR_STATIC_CODECS=1 LIBTORCH=.deps/torch-cuda/torch \
#     swift build -c release --static-swift-stdlib --scratch-path .build-cuda --product dimr (and dimr-bench)
# and writes stripped copies to .build-cuda/dist/ and xz-compressed ones to .build-cuda/carry/ (about 34 MB for both,
# what a GPU machine needs from this build; scripts/device-check.sh unpacks and runs them there).
#
# Options:
#   --runtime   also fetch the NVIDIA shared libraries that libtorch_cuda loads (about 2.5 GB of wheels, 2 GB unpacked),
#               so the CUDA build starts on a machine without them, e.g. a CPU-only one
#   --no-build  fetch and unpack only
# The binaries run elsewhere with the torch/lib folder of an installed torch 2.11 (CUDA 13) on LD_LIBRARY_PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_VERSION=${DIMR_CUDA_TORCH:-2.11.0}
ROOT=.deps/torch-cuda
WHEELS=.deps/wheels-cuda
SCRATCH=.build-cuda
PY=${PYTHON:-python3}
runtime=0 build=1
for arg in "$@"; do
  case "$arg" in
    --runtime) runtime=1 ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "build-cuda: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done
say() { printf 'build-cuda: %s\n' "$*" >&2; }
die() { printf 'build-cuda: error: %s\n' "$*" >&2; exit 1; }
mkdir -p "$WHEELS" "$ROOT"

fetch() {  # pip download --no-deps of the given requirements into $WHEELS
  "$PY" -m pip download --quiet --no-deps --dest "$WHEELS" "$@" 2>>"$WHEELS/pip.log" \
    || die "pip could not fetch $* (see $WHEELS/pip.log)"
}
wheel_of() {  # the wheel file of distribution $1 (dashes as underscores) at version $2
  local name=${1//-/_}
  ls "$WHEELS"/${name}-$2-*.whl 2>/dev/null | head -n 1
}
# unpack WHEEL PATTERN...: extracts the members matching any shell pattern into $ROOT.
unpack() {
  local wheel=$1; shift
  "$PY" - "$wheel" "$ROOT" "$@" <<'PY'
import fnmatch, sys, zipfile
wheel, root, patterns = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if not n.endswith("/") and any(fnmatch.fnmatch(n, p) for p in patterns)]
    if not names:
        sys.exit(f"{wheel}: nothing matches {patterns}")
    z.extractall(root, names)
PY
}
# requirements WHEEL: prints "name==version" for every Requires-Dist pinned with == (extras and markers dropped; a
# version may end in .* as cuda-toolkit's do).
requirements() {
  "$PY" - "$1" <<'PY'
import re, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
    for line in z.read(meta).decode().splitlines():
        m = re.match(r"Requires-Dist:\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*\(?==\s*([0-9][0-9A-Za-z.*+]*)", line)
        if m:
            print(f"{m.group(1).lower()}=={m.group(3)}")
PY
}

# 1. torch: headers and libraries.
if [ ! -f "$ROOT/torch/.unpacked-$TORCH_VERSION" ]; then
  say "fetching torch==$TORCH_VERSION (the CUDA 13 build, about 530 MB) ..."
  fetch "torch==$TORCH_VERSION"
  wheel=$(wheel_of torch "$TORCH_VERSION")
  [ -n "$wheel" ] || die "no torch-$TORCH_VERSION wheel in $WHEELS after pip download"
  rm -rf "$ROOT/torch"
  say "unpacking $(basename "$wheel") (include/ and lib/, about 1 GB) ..."
  unpack "$wheel" 'torch/include/*' 'torch/lib/*.so' 'torch/lib/*.so.*' 'torch/version.py'
  rm -f "$ROOT/torch/lib/libtorch_python.so"  # the Python bindings: not used
  [ -f "$ROOT/torch/lib/libtorch_cuda.so" ] || die "torch==$TORCH_VERSION from pip is not a CUDA build (no libtorch_cuda.so)"
  requirements "$wheel" > "$ROOT/torch/requirements.txt"
  touch "$ROOT/torch/.unpacked-$TORCH_VERSION"
fi

# 2. The NVIDIA versions torch pins: nvidia-nccl-cu13 directly, the CUDA toolkit through cuda-toolkit's extras.
# The version spec torch (pinned) or cuda-toolkit (toolkit_version) gives a distribution, e.g. 2.28.9 or 13.1.0.3.*
pinned() { grep -i "^$1==" "$ROOT/torch/requirements.txt" | head -n 1 | cut -d= -f3; }
nccl=$(pinned nvidia-nccl-cu13)
toolkit=$(pinned cuda-toolkit)
[ -n "$nccl" ] && [ -n "$toolkit" ] || die "torch==$TORCH_VERSION does not pin nvidia-nccl-cu13 and cuda-toolkit (is it a CUDA 13 build?)"
if [ ! -f "$ROOT/nvidia/toolkit-$toolkit.txt" ]; then
  fetch "cuda-toolkit==$toolkit"
  mkdir -p "$ROOT/nvidia"
  requirements "$(wheel_of cuda-toolkit "$toolkit")" | sort -u > "$ROOT/nvidia/toolkit-$toolkit.txt"
fi
toolkit_version() { grep -i "^$1==" "$ROOT/nvidia/toolkit-$toolkit.txt" | head -n 1 | cut -d= -f3; }

# 3. Headers (and the CUDA runtime library, which c10_cuda names), and with --runtime the shared libraries that
#    libtorch_cpu and libtorch_cuda load (cuDNN: only its loader, libcudnn.so.9, which opens the rest when a cuDNN
#    kernel first runs). Each wheel is deleted once unpacked; a stamp file remembers what was taken from it.
# take DIST VERSION KIND PATTERN...: fetches DIST==VERSION and unpacks the members matching a PATTERN, unless done.
take() {
  local dist=$1 version=$2 kind=$3; shift 3
  local v=${version%.\*}
  local stamp="$ROOT/nvidia/.$kind-$dist-$v"
  [ -f "$stamp" ] && return 0
  say "fetching the $kind of $dist==$version ..."
  fetch "$dist==$version"
  local wheel
  wheel=$(wheel_of "$dist" "$v*")
  [ -n "$wheel" ] || die "no $dist-$v wheel in $WHEELS after pip download"
  unpack "$wheel" "$@"
  rm -f "$wheel"
  touch "$stamp"
}
version_of() {  # the version spec of an NVIDIA distribution: torch's own pin, else cuda-toolkit's
  local v
  v=$(pinned "$1")
  [ -n "$v" ] || v=$(toolkit_version "$1")
  [ -n "$v" ] || die "neither torch==$TORCH_VERSION nor cuda-toolkit==$toolkit pins $1"
  echo "$v"
}
# The libraries each wheel gives to the loader of libtorch_cpu, libtorch_cuda and libtorch_nvshmem (and their own).
runtime_libs() {
  case "$1" in
    nvidia-cublas) echo 'nvidia/*/lib/libcublas.so.* nvidia/*/lib/libcublasLt.so.*' ;;
    nvidia-cusparse) echo 'nvidia/*/lib/libcusparse.so.*' ;;
    nvidia-nccl-cu13) echo 'nvidia/nccl/lib/libnccl.so.*' ;;
    nvidia-cuda-cupti) echo 'nvidia/*/lib/libcupti.so.*' ;;
    nvidia-cufft) echo 'nvidia/*/lib/libcufft.so.*' ;;
    nvidia-curand) echo 'nvidia/*/lib/libcurand.so.*' ;;
    nvidia-cufile) echo 'nvidia/*/lib/libcufile.so.*' ;;
    nvidia-nvjitlink) echo 'nvidia/*/lib/libnvJitLink.so.*' ;;
    nvidia-cusparselt-cu13) echo 'nvidia/cusparselt/lib/libcusparseLt.so.*' ;;
    nvidia-nvshmem-cu13) echo 'nvidia/nvshmem/lib/libnvshmem_host.so.*' ;;
    nvidia-cudnn-cu13) echo 'nvidia/cudnn/lib/libcudnn.so.*' ;;  # the loader only: it opens the rest on a GPU
  esac
}
for dist in nvidia-cuda-runtime nvidia-cuda-crt nvidia-cuda-cccl nvidia-cublas nvidia-cusparse nvidia-cusolver nvidia-nccl-cu13; do
  patterns=('nvidia/*/include/*')
  kind=headers
  version=$(version_of "$dist")
  if [ "$dist" = nvidia-cuda-runtime ]; then
    patterns+=('nvidia/*/lib/libcudart.so*')
  elif [ "$dist" = nvidia-cuda-cccl ]; then  # only <nv/target>, which cuda_fp16.h includes (not thrust, cub, libcu++)
    patterns=('nvidia/*/include/nv/*')
  elif [ "$runtime" = 1 ] && [ -n "$(runtime_libs "$dist")" ]; then
    read -r -a more <<<"$(runtime_libs "$dist")"
    patterns+=("${more[@]}")
    kind=headers+libs
  fi
  if [ "$kind" = headers ] && [ -f "$ROOT/nvidia/.headers+libs-$dist-${version%.\*}" ]; then continue; fi
  take "$dist" "$version" "$kind" "${patterns[@]}"
done
if [ "$runtime" = 1 ]; then
  for dist in nvidia-cuda-cupti nvidia-cufft nvidia-curand nvidia-cufile nvidia-nvjitlink nvidia-cusparselt-cu13 \
              nvidia-nvshmem-cu13 nvidia-cudnn-cu13; do
    read -r -a patterns <<<"$(runtime_libs "$dist")"
    take "$dist" "$(version_of "$dist")" libs "${patterns[@]}"
  done
fi
rm -f "$WHEELS"/torch-*.whl "$WHEELS"/cuda_toolkit-*.whl

[ "$build" = 1 ] || exit 0

# 5. The build (DIMR_STATIC_CODECS=1: libpng and libjpeg from their static archives, see Package.swift).
for lib in libpng16.a libjpeg.a; do
  compgen -G "/usr/lib/*-linux-gnu/$lib" >/dev/null || [ -f "/usr/lib64/$lib" ] || [ -f "/usr/lib/$lib" ] \
    || die "$lib not found: install libpng-dev and libjpeg62-turbo-dev (make setup does)"
done
say "building dimr and dimr-bench (release, static Swift runtime) in $SCRATCH ..."
export DIMR_CUDA=1 DIMR_NCCL=1 DIMR_STATIC_CODECS=1 LIBTORCH="$PWD/$ROOT/torch"
for product in dimr dimr-bench; do
  swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --product "$product"
done
dist="$SCRATCH/dist" carry="$SCRATCH/carry"
mkdir -p "$dist" "$carry"
for product in dimr dimr-bench; do
  strip -o "$dist/$product" "$SCRATCH/release/$product"
  xz -T0 -6 -c "$dist/$product" >"$carry/$product.xz"
done
say "stripped binaries in $dist, compressed in $carry:"
ls -l "$dist" "$carry" >&2
du -ch "$carry"/* | tail -n 1 | sed 's/^/build-cuda: carry together /' >&2
for product in dimr dimr-bench; do
  needed=$(readelf -d "$dist/$product" | awk '/NEEDED/ {gsub(/[][]/, "", $5); print $5}' | tr '\n' ' ')
  say "$product needs: $needed"
  case " $needed " in *" libpng"*|*" libjpeg"*) die "$product still links libpng or libjpeg dynamically" ;; esac
done
glibc=$(objdump -T "$dist/dimr" "$dist/dimr-bench" | grep -o 'GLIBC_[0-9.]*' | sort -Vu | tail -n 1)
cxx=$(objdump -T "$dist/dimr" "$dist/dimr-bench" | grep -o 'GLIBCXX_[0-9.]*' | sort -Vu | tail -n 1)
say "newest symbol versions the binaries need: $glibc, $cxx"
