#!/bin/bash
# Fetches what the vision benchmarks need into DIR (default
# ${TMPDIR:-/tmp}/pretrain_vision), without installing anything system-wide:
#   - Fashion-MNIST from Debian's dataset-fashion-mnist package
#     (DIR/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz);
#   - OpenBLAS (libopenblas0-pthread) for the PyTorch peer, whose Debian build
#     otherwise runs on the reference BLAS (DIR/openblas/libblas.so.3; run.sh
#     puts it on LD_LIBRARY_PATH for torch only).
# Usage: bash bench/vision/setup.sh [DIR]; prints DIR.
set -euo pipefail
DIR=${1:-${TMPDIR:-/tmp}/pretrain_vision}
mkdir -p "$DIR/deb"
cd "$DIR/deb"
if [ ! -f "$DIR/fashion-mnist/train-images-idx3-ubyte.gz" ]; then
  apt-get download dataset-fashion-mnist >/dev/null
  dpkg-deb -x dataset-fashion-mnist_*.deb x
  mkdir -p "$DIR/fashion-mnist"
  cp x/usr/share/datasets/fashion-mnist/*.gz "$DIR/fashion-mnist/"
fi
if [ ! -f "$DIR/openblas/libblas.so.3" ]; then
  apt-get download libopenblas0-pthread >/dev/null
  dpkg-deb -x libopenblas0-pthread_*.deb x
  mkdir -p "$DIR/openblas"
  cp -L x/usr/lib/x86_64-linux-gnu/openblas-pthread/*.so* "$DIR/openblas/"
fi
echo "$DIR"
