#!/usr/bin/env bash
# Prepare, on a machine with network, what bench/cuda_checks.sh needs on a GPU machine that has none; both land in
# folders .gitignore ignores, which the device tool's `carry` ships with the working tree (about 30 MB in all):
#   .official/see-through  a checkout of the authors' repository (github.com/shitagaki-lab/see-through): their
#                          inference code, imported at run time by bench/bench_authors.py, never committed here;
#   .whl/                  Python 3.12 x86-64 wheels of the packages the GPU image lacks (exact versions from
#                          constraints.txt; the image has torch, transformers, accelerate, einops, matplotlib …);
#                          cuda_checks.sh installs them into /tmp/site. TORCHAO=VERSION adds torchao (fp8 runs).
#
#   SOURCE=PATH_OR_URL bash bench/prepare_gpu_run.sh
# SOURCE is a clone source of the authors' repository (a local mirror, e.g. the git directory the search tool's
# `fetch` gives, or the URL). Then, on the GPU task: run(command="bash bench/cuda_checks.sh", carry=[".official",
# ".whl"], timeout_s=780) and commit bench/RESULTS.md and bench/gpu_results.json from the files that come back.
set -eu
cd "$(dirname "$0")/.."
: "${SOURCE:?set SOURCE to a clone source of the authors repository (shitagaki-lab/see-through)}"
PYTHON=${PYTHON:-python3}
if [[ ! -d .official/see-through ]]; then
  mkdir -p .official
  git clone -q "$SOURCE" .official/see-through
  rm -rf .official/see-through/.git  # only their files travel
fi
pin() { grep -i -E "^$1==" constraints.txt | head -n 1; }
wheels=("$(pin diffusers)" "$(pin importlib_metadata)" "$(pin zipp)" "$(pin psd-tools)" "$(pin pydantic)"
        "$(pin pydantic_core)" "$(pin annotated-types)" "$(pin typing-inspection)" "pycocotools==2.0.11")
[[ -n "${TORCHAO:-}" ]] && wheels+=("torchao==$TORCHAO")
mkdir -p .whl
"$PYTHON" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform manylinux1_x86_64 --platform any -d .whl "${wheels[@]}"
du -sh .official .whl
