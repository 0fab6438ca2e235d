#!/usr/bin/env bash
# The checks that need a CUDA GPU, in one run under a time budget (results go to bench/RESULTS.md by hand):
#   parity:    the authors' code makes goldens on this GPU with its own placement (bf16, models on CUDA), and
#              bench/parity_report.py runs the project on the same GPU in bf16 and compares, stage by stage (the
#              committed CPU goldens do not apply on a GPU: CUDA's random streams are not the CPU's);
#   tests:     the GPU tests (pytest -m gpu), e.g. every memory mode on the tiny models;
#   decompose: bench/bench_decompose.py, random full-size weights ($DECOMPOSE_ARGS, default: 1024² and 1280², each
#              memory mode);
#   training:  bench/bench_training.py --gpu, every training job on the tiny preset and the full-size models.
#
#   OUT=DIR BUDGET_S=540 PARTS="parity tests decompose training" OFFICIAL_REPO=... PARITY_HARNESS=... \
#     bash bench/cuda_checks.sh        # from the checkout root: the benchmarks run as `python -m bench.NAME`
#
# OFFICIAL_REPO is a checkout of the authors' repository and PARITY_HARNESS the folder with their side of the
# harness (golden_official.py, make_release.py, offimport.py, scheduler_parity.py): both live outside this
# repository (docs/parity.md). Without them, part 1 is skipped. Each part gets what is left of the budget (at most
# its own cap), writes OUT/<part>.log and one line to OUT/summary.txt; a part that fails or times out does not stop
# the others.
set -u
OUT=${OUT:-/tmp/cuda-checks}
PYTHON=${PYTHON:-python3}
OFFICIAL_REPO=${OFFICIAL_REPO:-}
PARITY_HARNESS=${PARITY_HARNESS:-}
mkdir -p "$OUT"
end=$(( $(date +%s) + ${BUDGET_S:-540} ))
export PYTHONUNBUFFERED=1

part() {  # NAME CAP_S COMMAND...
  local name=$1 cap=$2 left started rc
  shift 2
  left=$(( end - $(date +%s) ))
  (( left > cap )) && left=$cap
  if (( left < 20 )); then
    echo "$name: skipped, the budget is spent" | tee -a "$OUT/summary.txt"
    return
  fi
  echo "== $name (at most $left s)"
  started=$(date +%s)
  timeout -k 5 "$left" bash -c '"$@"' "$name" "$@" > "$OUT/$name.log" 2>&1  # bash -c: parts may be functions
  rc=$?
  echo "$name: exit $rc after $(( $(date +%s) - started )) s" | tee -a "$OUT/summary.txt"
  tail -n 60 "$OUT/$name.log"
}

wanted() { [[ " ${PARTS:-parity tests decompose training} " == *" $1 "* ]]; }

goldens_on_gpu() {
  local case
  "$PYTHON" "$PARITY_HARNESS/make_release.py" "$work/release" || return
  for case in v3_square_binary v3_portrait_soft_lr v2_square_soft v3_designed_hidden_lr v2_designed_eyes; do
    PARITY_DEVICE=cuda PARITY_DTYPE=bfloat16 "$PYTHON" "$PARITY_HARNESS/golden_official.py" "$work/release" \
      "$work/goldens" "$case"
  done
}

work=$(mktemp -d)
export work PYTHON PARITY_HARNESS OFFICIAL_REPO
export -f goldens_on_gpu
part environment 60 "$PYTHON" -c "
import torch, diffusers, transformers, seethrough.core
print('torch', torch.__version__, 'CUDA', torch.version.cuda, 'device', torch.cuda.get_device_name())
print('diffusers', diffusers.__version__, 'transformers', transformers.__version__)"
if wanted parity && [[ -n "${OFFICIAL_REPO:-}" && -n "${PARITY_HARNESS:-}" ]]; then
  part parity-goldens 200 goldens_on_gpu
  part parity-cuda-bf16 120 "$PYTHON" -m bench.parity_report --device cuda --dtype bfloat16 --goldens "$work/goldens"
elif wanted parity; then
  echo "parity: skipped (set OFFICIAL_REPO and PARITY_HARNESS)" | tee -a "$OUT/summary.txt"
fi
if wanted tests; then
  part gpu-tests 120 "$PYTHON" -m pytest -q -p no:randomly -m gpu tests/pipelines tests/core tests/test_markers.py
fi
if wanted decompose; then
  # shellcheck disable=SC2086  # DECOMPOSE_ARGS is a list of arguments
  part decompose 300 "$PYTHON" -m bench.bench_decompose --folders "$work/full" \
    ${DECOMPOSE_ARGS:---sizes 1024 1280 --modes none model group}
fi
if wanted training; then
  part training 150 "$PYTHON" -m bench.bench_training --gpu --samples 8 \
    --layers-model "$work/full/layers" --depth-model "$work/full/depth"
fi
rm -rf "$work"
