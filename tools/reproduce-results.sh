#!/bin/bash
# Regenerates the tables of README.md and docs/RESULTS.md that are drawn from committed CSVs.
#   tools/reproduce-results.sh            re-render every announced table from docs/results/*.csv and check them
#   tools/reproduce-results.sh --resample  first re-measure the CSVs (hours on a CPU: each 5000-sample guided row is
#                                          ~25 min on one core; --cache keeps finished batches, so a stopped run resumes)
# Run from the source tree's root with dg on PATH (or DG=path/to/dg).
set -euo pipefail
cd "$(dirname "$0")/.."
DG=${DG:-dg}
CACHE=${CACHE:-results-cache}
if [ "${1:-}" = "--resample" ]; then
    tune() { "$DG" tune --count 5000 --bootstrap 200 --cache "$CACHE" "$@"; }
    # Unconditional pair, preset none (seed blocks 0 and 1) and the official recipe.
    tune --dg-preset none --weights 0,2 --seed 0 --csv docs/results/fmnist-uncond-none-5000-regen-seed0.csv
    tune --dg-preset none --weights 0,2 --seed 1 --csv docs/results/fmnist-uncond-none-5000-seed1.csv
    tune --dg-preset none --weights 0,0.5,1,1.5,2,3 --seed 0 --csv docs/results/fmnist-uncond-none-5000.csv
    tune --dg-preset official --weights 0,0.5,1,1.5,2,3 --seed 0 --csv docs/results/fmnist-uncond-official-5000.csv
    tune --dg-preset official --weights 0,2 --seed 1 --csv docs/results/fmnist-uncond-official-5000-seed1.csv
    # Class-conditional pair, every class in turn, with and without the official boosting.
    tune --denoiser builtin:fmnist-cond --discriminator builtin:fmnist-cond-disc --class all --dg-preset none \
         --weights 0,0.5,1,1.5,2,3 --seed 0 --csv docs/results/fmnist-cond-none-5000.csv
    tune --denoiser builtin:fmnist-cond --discriminator builtin:fmnist-cond-disc --class all --dg-preset none \
         --dg-boost --weights 0,0.5,1,2,3 --seed 0 --csv docs/results/fmnist-cond-boost-5000.csv
    # ... and the full official recipe (preset + boosting), both seed blocks.
    for seed in 0 1; do
        tune --denoiser builtin:fmnist-cond --discriminator builtin:fmnist-cond-disc --class all --dg-preset official \
             --dg-boost --weights 0,2 --seed $seed --csv docs/results/fmnist-cond-official-boost-5000-seed$seed.csv
    done
    "$DG" eval --real-floor 3 --count 5000 > docs/results/fmnist-real-floor-5000.txt
    # The discriminators per sigma: accuracy and calibration (docs/MODELS.md).
    "$DG" eval-disc --denoiser builtin:fmnist --discriminator builtin:fmnist-disc --count 2000 --seed 77 \
        --dg-preset official > docs/results/fmnist-disc-eval-2000.txt 2> /dev/null
    "$DG" eval-disc --denoiser builtin:fmnist-cond --discriminator builtin:fmnist-cond-disc --class all --count 2000 \
        --seed 77 --dg-preset official > docs/results/fmnist-cond-disc-eval-2000.txt 2> /dev/null
    # Is DG worth its compute? The official recipe at w = 2 (class-conditional: preset + boosting) against the unguided
    # sampler at the steps that cost as much (measured on the machine that runs it: the steps follow its timings),
    # both seed blocks.
    for seed in 0 1; do
        tune --dg-preset official --weights 0,2 --seed $seed --matched-compute \
            --csv docs/results/fmnist-matched-compute-official-5000-seed$seed.csv \
            > docs/results/fmnist-matched-compute-official-5000-seed$seed.txt
        tune --denoiser builtin:fmnist-cond --discriminator builtin:fmnist-cond-disc --class all --dg-preset official \
            --dg-boost --weights 0,2 --seed $seed --matched-compute \
            --csv docs/results/fmnist-cond-matched-compute-official-boost-5000-seed$seed.csv \
            > docs/results/fmnist-cond-matched-compute-official-boost-5000-seed$seed.txt
    done
    # The v3 pair (resources/training: FD 6.1 unguided, its discriminator on 30,000 fakes), official recipe, both
    # seed blocks, and its matched-compute baseline.
    v3=(--denoiser resources/training/fmnist-score-v3.pt --discriminator resources/training/fmnist-disc-v3.pt)
    for seed in 0 1; do
        tune "${v3[@]}" --dg-preset official --weights 0,2 --seed $seed \
            --csv docs/results/fmnist-v3-official-5000-seed$seed.csv
    done
    tune "${v3[@]}" --dg-preset official --weights 0,2 --seed 0 --matched-compute \
        --csv docs/results/fmnist-v3-matched-compute-official-5000-seed0.csv \
        > docs/results/fmnist-v3-matched-compute-official-5000-seed0.txt
    # The v3 network's last-iterate weights (FD 4.4 unguided) and their own discriminator, official recipe, both blocks.
    raw=(--denoiser resources/training/fmnist-score-v3-raw.pt --discriminator resources/training/fmnist-disc-v3-raw.pt)
    for seed in 0 1; do
        tune "${raw[@]}" --dg-preset official --weights 0,2 --seed $seed \
            --csv docs/results/fmnist-v3-raw-official-5000-seed$seed.csv
    done
    "$DG" eval-disc "${raw[@]}" --count 2000 --seed 77 --dg-preset official \
        > docs/results/fmnist-v3-raw-disc-eval-2000.txt 2> /dev/null
    for seed in 0 1; do
        tune "${raw[@]}" --dg-preset official --weights 0,2 --seed $seed --matched-compute \
            --csv docs/results/fmnist-v3-raw-matched-compute-official-5000-seed$seed.csv \
            > docs/results/fmnist-v3-raw-matched-compute-official-5000-seed$seed.txt
    done
    # The class-conditional network nearest the data (fmnist-cond-score-v4.pt, FD 1.94 unguided) and its own
    # discriminator, the full official recipe (preset + boosting) with its matched-compute baseline, both blocks.
    cond4=(--denoiser resources/training/fmnist-cond-score-v4.pt --discriminator resources/training/fmnist-cond-disc-v4.pt)
    for seed in 0 1; do
        tune "${cond4[@]}" --class all --dg-preset official --dg-boost --weights 0,2 --seed $seed --matched-compute \
            --csv docs/results/fmnist-cond-v4-official-boost-5000-seed$seed.csv \
            > docs/results/fmnist-cond-v4-official-boost-5000-seed$seed.txt
    done
    "$DG" eval-disc "${cond4[@]}" --class all --count 2000 --seed 77 --dg-preset official \
        > docs/results/fmnist-cond-v4-disc-eval-2000.txt 2> /dev/null
    # Its ablations: the official preset without --dg-boost, and both Heun evaluations guided, both blocks.
    for seed in 0 1; do
        tune "${cond4[@]}" --class all --dg-preset official --weights 0,2 --seed $seed \
            --csv docs/results/fmnist-cond-v4-ablation-no-boost-5000-seed$seed.csv
        tune "${cond4[@]}" --class all --dg-preset none --dg-boost --dg-sigma-min 0.0447 --dg-sigma-max 152.2 \
            --dg-logit-clip 11.513 --weights 0,2 --seed $seed \
            --csv docs/results/fmnist-cond-v4-ablation-both-evals-5000-seed$seed.csv
    done
    tune "${v3[@]}" --dg-preset none --dg-sigma-min 0.0447 --dg-sigma-max 152.2 --dg-logit-clip 11.513 --weights 0,2 \
        --seed 0 --csv docs/results/fmnist-v3-ablation-both-evals-5000-seed0.csv
    tune "${v3[@]}" --dg-preset official --dg-boost --weights 0,2 --seed 0 \
        --csv docs/results/fmnist-v3-ablation-boost-5000-seed0.csv
    tune "${v3[@]}" --dg-preset official --dg-sigma-min 0.002 --weights 0,2 --seed 0 \
        --csv docs/results/fmnist-v3-ablation-window-0.002-5000-seed0.csv
    # Their second seed block.
    tune "${v3[@]}" --dg-preset none --dg-sigma-min 0.0447 --dg-sigma-max 152.2 --dg-logit-clip 11.513 --weights 0,2 \
        --seed 1 --csv docs/results/fmnist-v3-ablation-both-evals-5000-seed1.csv
    tune "${v3[@]}" --dg-preset official --dg-boost --weights 0,2 --seed 1 \
        --csv docs/results/fmnist-v3-ablation-boost-5000-seed1.csv
    tune "${v3[@]}" --dg-preset official --dg-sigma-min 0.002 --weights 0,2 --seed 1 \
        --csv docs/results/fmnist-v3-ablation-window-0.002-5000-seed1.csv
    # The churn baseline (S_churn tuned at 1000 samples: --steps 25 --churn 0|5|10|20|40 --weights 0 --count 1000) and
    # DG on the churned sampler with its own matched baseline, both seed blocks.
    for seed in 0 1; do
        tune "${v3[@]}" --dg-preset official --weights 0,2 --seed $seed --matched-compute --matched-churn 5 \
            --csv docs/results/fmnist-v3-matched-compute-churn-official-5000-seed$seed.csv \
            > docs/results/fmnist-v3-matched-compute-churn-official-5000-seed$seed.txt
        tune "${v3[@]}" --dg-preset official --weights 0,2 --seed $seed --churn 5 --matched-compute \
            --csv docs/results/fmnist-v3-churn-5-dg-matched-compute-official-5000-seed$seed.csv \
            > docs/results/fmnist-v3-churn-5-dg-matched-compute-official-5000-seed$seed.txt
    done
    # Discriminators on the first 2,500 / 10,000 of the v3 discriminator's 30,000 fakes (FAKES: those fakes, from the
    # gen-fakes commands of docs/MODELS.md), the v3 discriminator's recipe; official recipe at w = 2, both seed blocks.
    # Then the 2,500-fakes one at the 30,000-fakes run's iterations (120 epochs), and a second training seed (--seed 4)
    # of the v3 discriminator on all 30,000.
    if [ -n "${FAKES:-}" ]; then
        for n in 2500 10000; do
            /usr/bin/python3 -c "import torch,sys; torch.save(torch.load(sys.argv[1])[:$n].clone(), sys.argv[2])" \
                "$FAKES" "$CACHE/fakes-$n.pt"
            "$DG" train-disc --data fmnist --fakes "$CACHE/fakes-$n.pt" --features resources/models/fmnist-classifier.pt \
                --checkpoint "$CACHE/disc-$n.pt" --epochs 10 --batch 128 --lr 3e-4 --seed 3
            for seed in 0 1; do
                tune --denoiser resources/training/fmnist-score-v3.pt --discriminator "$CACHE/disc-$n.pt" \
                    --dg-preset official --weights 0,2 --seed $seed \
                    --csv docs/results/fmnist-v3-ablation-disc-$n-5000-seed$seed.csv
            done
        done
        "$DG" train-disc --data fmnist --fakes "$CACHE/fakes-2500.pt" --features resources/models/fmnist-classifier.pt \
            --checkpoint "$CACHE/disc-2500-eq.pt" --epochs 120 --batch 128 --lr 3e-4 --seed 3
        for seed in 0 1; do
            tune --denoiser resources/training/fmnist-score-v3.pt --discriminator "$CACHE/disc-2500-eq.pt" \
                --dg-preset official --weights 0,2 --seed $seed \
                --csv docs/results/fmnist-v3-ablation-disc-2500-eq-5000-seed$seed.csv
        done
        "$DG" train-disc --data fmnist --fakes "$FAKES" --features resources/models/fmnist-classifier.pt \
            --checkpoint "$CACHE/disc-seed4.pt" --epochs 10 --batch 128 --lr 3e-4 --seed 4
        for seed in 0 1; do
            tune --denoiser resources/training/fmnist-score-v3.pt --discriminator "$CACHE/disc-seed4.pt" \
                --dg-preset official --weights 0,2 --seed $seed \
                --csv docs/results/fmnist-v3-ablation-disc-seed4-5000-seed$seed.csv
        done
    fi
    # The sampler registry at 35 network evaluations per sample, official recipe, 1000 samples.
    for s in heun:18 euler:35 dpmpp-2m:35 euler-ancestral:35; do
        "$DG" tune --count 1000 --bootstrap 200 --cache "$CACHE" --weights 0,2 --seed 0 --sampler "${s%%:*}" \
            --steps "${s##*:}" --csv "docs/results/fmnist-samplers-${s%%:*}-1000.csv"
    done
fi
python3 tools/headline-csv.py > /dev/null
python3 tools/results-tables.py render README.md docs/RESULTS.md
python3 tools/results-tables.py check README.md docs/RESULTS.md
