#!/usr/bin/env bash
# Installs everything DG Studio needs to build, test and run on Debian 12 (run as root). Safe to re-run.
set -euo pipefail

# libopenblas0-pthread takes over libblas.so.3 from the reference BLAS that Debian's LibTorch otherwise runs on
# (matrix products 5.7 → 153 GFLOP/s on the 2-core development machine; docs/PERFORMANCE.md).
packages=(
    build-essential cmake pkg-config dpkg-dev file ccache
    libtorch-dev python3-torch zlib1g-dev libpng-dev nettle-dev
    nlohmann-json3-dev libcli11-dev libgloo-dev clang clang-format
    libopenblas0-pthread
    qt6-base-dev qt6-base-dev-tools libqt6opengl6-dev libgl-dev libopengl-dev libxkbcommon-dev
    libgl1-mesa-dri libglx-mesa0 fonts-dejavu-core libfreetype-dev
    libimgui-dev libglfw3-dev
    libgif-dev libavcodec-dev libavformat-dev libswscale-dev libavutil-dev
    xvfb xauth
    dataset-fashion-mnist
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages present"
    exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q "${missing[@]}"
