#!/usr/bin/env bash
# Fetches what the build and the tests need, once: libtorch (unpacked from a PyTorch wheel into
# .deps/torch), the PNG and JPEG libraries (Debian's libpng-dev, libjpeg62-turbo-dev), gloo's headers (libgloo-dev) and
# Fashion-MNIST (Debian's dataset-fashion-mnist), and chromium for the browser test. Quick when all are present.
# LIBTORCH=/path/to/libtorch uses another install (a folder with include/ and lib/).
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_VERSION=2.13.0
DEPS=.deps
say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

check_libtorch() {  # $1 = root with include/ and lib/
  [ -f "$1/lib/libtorch_cpu.so" ] && [ -f "$1/lib/libc10.so" ] && [ -f "$1/include/ATen/ATen.h" ] || return 1
  local missing
  missing=$(ldd "$1/lib/libtorch_cpu.so" 2>/dev/null | awk '/not found/ {print $1}' | tr '\n' ' ')
  [ -z "$missing" ] || { say "libtorch at $1 cannot load: missing $missing"; return 1; }
}

fetch_libtorch() {
  local wheels="$DEPS/wheels" root="$DEPS/torch"
  mkdir -p "$wheels"
  say "fetching torch==${TORCH_VERSION}+cpu with pip (about 190 MB) ..."
  if python3 -m pip download --quiet --no-deps --dest "$wheels" "torch==${TORCH_VERSION}+cpu" 2>"$DEPS/pip.log"; then
    :
  else
    say "the CPU wheel is not reachable; falling back to the CUDA 13 build of torch==${TORCH_VERSION} (about 530 MB)"
    python3 -m pip download --quiet --no-deps --dest "$wheels" "torch==${TORCH_VERSION}" \
      "nvidia-cuda-runtime==13.0.*" "nvidia-cuda-cupti==13.0.*" 2>>"$DEPS/pip.log" \
      || die "pip could not fetch torch (see $DEPS/pip.log). Install a libtorch and set LIBTORCH=/path/to/it."
  fi
  local wheel
  wheel=$(ls -t "$wheels"/torch-${TORCH_VERSION}*.whl | head -n 1)
  rm -rf "$DEPS/unpack" "$root"
  mkdir -p "$DEPS/unpack"
  say "unpacking $(basename "$wheel") ..."
  python3 - "$wheel" "$DEPS/unpack" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extractall(sys.argv[2], [n for n in z.namelist() if n.startswith(("torch/lib/", "torch/include/")) or n == "torch/version.py"])
PY
  # The CUDA build's CPU library needs the CUDA runtime and CUPTI next to it.
  for w in "$wheels"/nvidia_cuda_runtime*.whl "$wheels"/nvidia_cuda_cupti*.whl; do
    [ -f "$w" ] || continue
    python3 - "$w" "$DEPS/unpack/torch/lib" <<'PY'
import sys, zipfile, os
with zipfile.ZipFile(sys.argv[1]) as z:
    for n in z.namelist():
        base = os.path.basename(n)
        if ".so" in base and (base.startswith("libcudart.so") or base.startswith("libcupti.so")):
            with open(os.path.join(sys.argv[2], base), "wb") as f:
                f.write(z.read(n))
PY
  done
  mv "$DEPS/unpack/torch" "$root"
  rm -rf "$DEPS/unpack"
}

if [ -n "${LIBTORCH:-}" ]; then
  check_libtorch "$LIBTORCH" || die "LIBTORCH=$LIBTORCH is not a usable libtorch (needs include/ATen/ATen.h, lib/libtorch_cpu.so, lib/libc10.so). Unset it to fetch one, or fix the path."
else
  if ! check_libtorch "$DEPS/torch"; then
    fetch_libtorch
    check_libtorch "$DEPS/torch" || die "the unpacked libtorch in $DEPS/torch does not load; delete $DEPS and run 'make setup' again."
  fi
fi

apt_install() {  # Debian packages; tries again after refreshing the package lists
  local SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q "$@" >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null 2>&1 && $SUDO apt-get install -y -q "$@" >/dev/null; }
}

codecs=()
[ -f /usr/include/png.h ] || codecs+=(libpng-dev)
[ -f /usr/include/jpeglib.h ] || codecs+=(libjpeg62-turbo-dev)
if [ ${#codecs[@]} -gt 0 ]; then
  say "installing Debian's ${codecs[*]} (PNG and JPEG decoding) ..."
  apt_install "${codecs[@]}" || die "could not install ${codecs[*]} with apt-get; install them (the build links libpng and libjpeg)."
fi

# gloo's headers, which torch's ProcessGroupGloo.hpp includes and the PyTorch wheel lacks (nothing of Debian's gloo is linked).
if [ ! -f /usr/include/gloo/context.h ]; then
  say "installing Debian's libgloo-dev (headers for the data-parallel process group) ..."
  apt_install libgloo-dev || die "could not install libgloo-dev with apt-get; install it (the build compiles against its headers)."
fi

FMNIST=/usr/share/datasets/fashion-mnist
if [ ! -f "$FMNIST/train-images-idx3-ubyte.gz" ]; then
  say "installing Debian's dataset-fashion-mnist ..."
  apt_install dataset-fashion-mnist \
    || die "could not install dataset-fashion-mnist with apt-get; install it, or point DIMR_FASHION_MNIST at the IDX files."
fi

# The browser test of `dimr serve` drives the page in headless Chromium. Installed when missing (about 300 MB;
# DIMR_BROWSER_TESTS=0 leaves it out); where apt-get cannot install it the test is skipped and says why.
if [ "${DIMR_BROWSER_TESTS:-1}" != 0 ] && ! { command -v chromium && command -v chromedriver; } >/dev/null 2>&1; then
  say "installing Debian's chromium and chromium-driver for the browser test of dimr serve (DIMR_BROWSER_TESTS=0 skips this) ..."
  apt_install chromium chromium-driver \
    || say "could not install chromium and chromium-driver with apt-get: the browser test will be skipped"
fi
