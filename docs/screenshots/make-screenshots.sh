#!/usr/bin/env bash
# Regenerates the dg-studio screenshots in this folder: the app runs under Xvfb, samples, and grabs its own window
# (dg-studio --screenshot). Usage: bash docs/screenshots/make-screenshots.sh [BUILD_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../../build}"
studio="$build/bin/dg-studio"
[ -x "$studio" ] || { echo "make-screenshots: $studio not built" >&2; exit 1; }
export XDG_CONFIG_HOME="$(mktemp -d)" # fresh settings, not the user's
export XDG_RUNTIME_DIR="$(mktemp -d)"
shot() { xvfb-run -a -s "-screen 0 1600x1000x24" "$studio" --reset-settings "$@"; }
small() { xvfb-run -a -s "-screen 0 1280x800x24" "$studio" --reset-settings "$@"; } # the smallest supported screen

shot --screenshot "$here/studio-fmnist-compare.png" --compare --view denoised --show-step 9 --seed 3
shot --screenshot "$here/studio-fmnist-correction.png" --view correction --show-step 12 --seed 3 --count 36
shot --screenshot "$here/studio-fmnist-difference.png" --compare --view difference --seed 3
shot --screenshot "$here/studio-fmnist-cond.png" --denoiser builtin:fmnist-cond --compare --view x_t --count 20 --seed 3 \
     --dg-weight 2 --raise-dock sampler
shot --screenshot "$here/studio-official-preset.png" --dg-preset official --dg-weight 2 --raise-dock guidance \
     --view denoised --show-step 9 --seed 3
shot --screenshot "$here/studio-diagnosis.png" --raise-dock training --diagnose --seed 3 --dg-preset official
shot --screenshot "$here/studio-toy-arrows.png" --denoiser builtin:ring8-model --compare --view correction \
     --show-step 12 --count 300 --dg-weight 1
shot --screenshot "$here/studio-training.png" --denoiser builtin:ring8-model --discriminator none --train \
     --raise-dock training --compare --view x_t --count 300 --dg-weight 1
small --screenshot "$here/studio-compare-difference.png" --compare --view difference --show-step 10
# The Tune dock: the 5000-sample sweep of docs/RESULTS.md, its row scores read from the committed score cache
# (docs/results/cache) copied into the app's data folder — nothing is sampled while the model files are unchanged.
export XDG_DATA_HOME="$(mktemp -d)"
mkdir -p "$XDG_DATA_HOME/DG Studio/dg-studio/tune-cache"
cp "$here/../results/cache/"*.json "$XDG_DATA_HOME/DG Studio/dg-studio/tune-cache/"
small --screenshot "$here/studio-tune.png" --tune 0,0.5,1,1.5,2,3 --tune-count 5000
# dg-studio's presenter mode (F5) at 1920 x 1080: text >= 28 px, badges >= 24 px; the toy paused at step 6 (its own axes).
xvfb-run -a -s "-screen 0 1920x1080x24" "$build/bin/dg-studio" --reset-settings --presenter --compare --show-step 9 \
    --screenshot "$here/studio-presenter-fmnist.png"
xvfb-run -a -s "-screen 0 1920x1080x24" "$build/bin/dg-studio" --reset-settings --presenter \
    --denoiser builtin:ring8-model --show-step 6 --screenshot "$here/studio-presenter-toy.png"
lab="$build/bin/dg-lab"
if [ -x "$lab" ]; then
    xvfb-run -a -s "-screen 0 1600x1000x24" "$lab" --screenshot "$here/lab-toy-compare.png" --compare --view correction \
        --show-step 12
    xvfb-run -a -s "-screen 0 1920x1080x24" "$lab" --presenter --compare --show-step 5 \
        --screenshot "$here/lab-presenter.png"
    xvfb-run -a -s "-screen 0 1920x1080x24" "$lab" --presenter --diagnose --screenshot "$here/lab-diagnosis.png"
    xvfb-run -a -s "-screen 0 1920x1080x24" "$lab" --presenter --denoiser builtin:fmnist --compare --show-step 12 \
        --screenshot "$here/lab-presenter-fmnist.png"
fi
rm -rf "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR" "$XDG_DATA_HOME"
