#!/usr/bin/env bash
# Everything that needs a CUDA GPU under one time budget (BUDGET_S, default 570 s: the device tool runs one command
# for at most 10 minutes, so the 12 minutes of issue 21 are two calls on the same warm machine, see below), then one
# table (docs/speed.md):
#   folders:    random full-size weights in the released layout, drawn on the GPU (read by both sides);
#   authors:    the authors' inference on those folders (bench/bench_authors.py; needs OFFICIAL_REPO), per stage,
#               at each size in $SIZES (default 1024 1280), 30 steps, peak memory;
#   ours:       our decomposition on the same folders, seed and sizes with the GPU's default speed settings
#               (core/decompose/speed.py; the compile warm-up is timed apart), per stage, peak memory;
#   eager:      ours with every speed setting off, at the first size (what the settings are proven against);
#   tests:      the GPU tests (pytest -m gpu: memory modes, CUDA graphs, …);
#   modes:      memory modes model and group at the first size, $MODE_STEPS steps (s/step is what compares);
#   training:   bench/bench_training.py --gpu: every job, s/step, samples/s, peak memory at batch 1 and 2;
#   ablation:   one speed setting at a time on the eager path at the first size, 10 steps, while budget lasts;
#   parity:     only when PARTS names it: the CUDA parity check of docs/parity.md (PARITY_HARNESS needed);
# then bench/gpu_report.py prints the table, writes it into bench/RESULTS.md and the numbers into
# bench/gpu_results.json, and copies both, the summary and the logs (logs.tar.gz) to $OUT.
#
# On the GPU machine of the device tool (no network): carry the authors' checkout and the wheels the image lacks,
# both prepared here by `bash bench/prepare_gpu_run.sh` (.official/see-through, .whl/), and run, back to back:
#   bash bench/cuda_checks.sh                                     (carry [".official", ".whl"], timeout_s 600)
#   PARTS="modes training ablation" BUDGET_S=240 bash bench/cuda_checks.sh          (same carry, timeout_s 270)
# (add `tests` to the second call's PARTS when the first call's summary says the budget skipped them)
# The parts' JSON and logs stay in $PARTS_DIR (default /tmp/cuda-checks-parts; emptied when a run builds the
# folders), so the second call's table holds both calls' numbers; each call's files come back in $OUT.
# Smoke check on a CPU (the tiny parity release, minutes; the authors' side too when OFFICIAL_REPO is set up):
#   DEVICE=cpu SIZES=64 STEPS=2 OUT=/tmp/smoke bash bench/cuda_checks.sh
# Each part gets what is left of the budget (at most its own cap; on a CPU only the budget), writes
# $PARTS_DIR/logs/<part>.log and one line to summary.txt; a part that fails or times out does not stop the others.
set -u
OUT=${OUT:-/tmp/cuda-checks}
PYTHON=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
SIZES=${SIZES:-1024 1280}
STEPS=${STEPS:-30}
MODE_STEPS=${MODE_STEPS:-10}
PARTS=${PARTS:-folders authors ours eager tests modes training ablation}
PARTS_DIR=${PARTS_DIR:-/tmp/cuda-checks-parts}
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO" || exit 1
OFFICIAL_REPO=${OFFICIAL_REPO:-$( [[ -d .official/see-through ]] && echo "$REPO/.official/see-through" )}
AUTHORS_EXTRA=${AUTHORS_EXTRA:-$( [[ -d .official/extra ]] && echo "$REPO/.official/extra" )}
PARITY_HARNESS=${PARITY_HARNESS:-}
FOLDERS=${FOLDERS:-/tmp/seethrough-bench-folders}
[[ " $PARTS " == *" folders "* ]] && rm -rf "$PARTS_DIR"  # a first call starts afresh
mkdir -p "$OUT" "$PARTS_DIR/logs"
end=$(( $(date +%s) + ${BUDGET_S:-570} ))
first_size=${SIZES%% *}
export PYTHONUNBUFFERED=1 OFFICIAL_REPO AUTHORS_EXTRA

# the GPU image lacks some packages: install the carried wheels; the checkout is importable through namespace/
if [[ -d .whl ]] && ! "$PYTHON" -c "import diffusers, psd_tools, pydantic" 2>/dev/null; then
  "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
"$PYTHON" -c "import seethrough.core" 2>/dev/null || export PYTHONPATH=$REPO/namespace:$REPO${PYTHONPATH:+:$PYTHONPATH}

note() { echo "$1" | tee -a "$PARTS_DIR/summary.txt"; }
wanted() { [[ " $PARTS " == *" $1 "* ]]; }
part() {  # NAME CAP_S COMMAND...
  local name=$1 cap=$2 left started rc
  shift 2
  [[ $name == environment ]] || wanted "$name" || return 0
  left=$(( end - $(date +%s) ))
  (( left > cap )) && [[ $DEVICE != cpu ]] && left=$cap  # the smoke check on a CPU: only the budget
  if (( left < 20 )); then
    note "$name: skipped, the budget is spent"
    return
  fi
  echo "== $name (at most $left s)"
  started=$(date +%s)
  timeout -k 5 "$left" bash -c '"$@"' "$name" "$@" > "$PARTS_DIR/logs/$name.log" 2>&1  # parts may be functions
  rc=$?
  note "$name: exit $rc after $(( $(date +%s) - started )) s"
  grep -v -E "Warning|warn\(|Loading weights|Writing model shards|it/s\]" "$PARTS_DIR/logs/$name.log" | tail -n 25
}

environment() {
  "$PYTHON" - "$PARTS_DIR/environment.json" "$DEVICE" <<'EOF'
import json, sys
import diffusers, torch, transformers
import seethrough.core
cuda = sys.argv[2].startswith("cuda")
gpu = torch.cuda.get_device_name() if cuda else "CPU (smoke check: tiny models, not a measurement)"
info = {"gpu": gpu, "device": sys.argv[2], "torch": torch.__version__, "diffusers": diffusers.__version__,
        "transformers": transformers.__version__}
if cuda:
    p = torch.cuda.get_device_properties(0)
    info.update(capability=f"{p.major}.{p.minor}", memory_gib=round(p.total_memory / 2**30, 1))
print(info)
json.dump(info, open(sys.argv[1], "w"))
EOF
}

folders() {
  local tiny=()
  [[ $DEVICE == cpu ]] && tiny=(--tiny)
  "$PYTHON" - "$FOLDERS" "$DEVICE" "${tiny[@]}" <<'EOF'
import sys, time
from pathlib import Path
from bench.bench_decompose import build_full_size_folders, build_tiny_folders
t0 = time.perf_counter()
root = Path(sys.argv[1])
build_tiny_folders(root) if "--tiny" in sys.argv else build_full_size_folders(root, sys.argv[2])
print(f"model folders ready in {time.perf_counter() - t0:.0f} s: {root}")
EOF
}

gpu_tests() {
  # the files that use the cuda_device fixture (tests/conftest.py marks them gpu)
  "$PYTHON" -m pytest -q -p no:randomly -m gpu --continue-on-collection-errors tests/pipelines/test_decompose_tiny.py \
    tests/pipelines/test_speed_settings.py tests/core/test_decompose_memory.py tests/training/test_train_on_gpu.py \
    tests/test_markers.py
}

goldens_on_gpu() {
  local case
  "$PYTHON" "$PARITY_HARNESS/make_release.py" "$work/release" || return
  for case in v3_square_binary v3_portrait_soft_lr v2_square_soft v3_designed_hidden_lr v2_designed_eyes; do
    PARITY_DEVICE=cuda PARITY_DTYPE=bfloat16 "$PYTHON" "$PARITY_HARNESS/golden_official.py" "$work/release" \
      "$work/goldens" "$case"
  done
}

work=$(mktemp -d)
export work PYTHON PARITY_HARNESS DEVICE OUT FOLDERS PARTS_DIR
export -f environment folders gpu_tests goldens_on_gpu
# shellcheck disable=SC2086  # SIZES is a list of sizes
{
part environment 60 environment
part folders 150 folders
if [[ -n "${OFFICIAL_REPO:-}" ]]; then
  part authors 240 "$PYTHON" -m bench.bench_authors --folders "$FOLDERS" --device "$DEVICE" --sizes $SIZES \
    --steps "$STEPS" --json "$PARTS_DIR/authors.json"
elif wanted authors; then
  note "authors: skipped: OFFICIAL_REPO is not set (a checkout of the authors' repository; bench/prepare_gpu_run.sh)"
fi
part ours 270 "$PYTHON" -m bench.bench_decompose --folders "$FOLDERS" --device "$DEVICE" \
  $( [[ $DEVICE == cpu ]] && echo --tiny ) --sizes $SIZES --steps "$STEPS" --settings default \
  --json "$PARTS_DIR/ours-default.json"
part eager 90 "$PYTHON" -m bench.bench_decompose --folders "$FOLDERS" --device "$DEVICE" \
  $( [[ $DEVICE == cpu ]] && echo --tiny ) --sizes "$first_size" --steps "$STEPS" --settings eager \
  --json "$PARTS_DIR/ours-eager.json"
if [[ $DEVICE == cpu ]]; then
  for name in tests modes training ablation; do
    wanted $name && note "$name: skipped on the CPU (needs a CUDA GPU)"
  done
else
  part tests 100 gpu_tests
  part modes 120 "$PYTHON" -m bench.bench_decompose --folders "$FOLDERS" --sizes "$first_size" --steps "$MODE_STEPS" \
    --modes model group --json "$PARTS_DIR/ours-modes.json"
  part training 160 "$PYTHON" -m bench.bench_training --gpu --samples 8 --batches 1 2 \
    --layers-model "$FOLDERS/layers" --depth-model "$FOLDERS/depth" --json "$PARTS_DIR/training.json"
  part ablation 240 "$PYTHON" -m bench.bench_decompose --folders "$FOLDERS" --sizes "$first_size" --steps 10 \
    --settings eager --set channels_last=on --set compile=regional --set cuda_graphs=on --set decoder_batch=4 \
    --set skip_empty=on --json "$PARTS_DIR/ours-ablation.json"
  if wanted parity && [[ -n "${OFFICIAL_REPO:-}" && -n "${PARITY_HARNESS:-}" ]]; then
    part parity 200 goldens_on_gpu
    part parity-report 120 "$PYTHON" -m bench.parity_report --device cuda --dtype bfloat16 --goldens "$work/goldens"
  fi
fi
}
rm -rf "$work"

# the table: into the repository's files on a GPU (the smoke check leaves them alone), always into $OUT
if [[ $DEVICE == cpu ]]; then
  cp bench/RESULTS.md "$OUT/RESULTS.md"
  "$PYTHON" -m bench.gpu_report --parts "$PARTS_DIR" --json "$OUT/gpu_results.json" --markdown "$OUT/RESULTS.md"
else
  "$PYTHON" -m bench.gpu_report --parts "$PARTS_DIR" --json bench/gpu_results.json --markdown bench/RESULTS.md
  cp bench/gpu_results.json bench/RESULTS.md "$OUT/"
fi
cp "$PARTS_DIR/summary.txt" "$OUT/"
tar czf "$OUT/logs.tar.gz" -C "$PARTS_DIR" .
