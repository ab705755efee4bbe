#!/usr/bin/env bash
# Check omgseg on a GPU machine in one go (the steps' time limits add up to 480 s):
#
#   OUT=results/ [MMCV_SOURCE=mmcv-2.1.0.tar.gz] bash tools/gpu_check.sh [WHEELHOUSE]
#
# 1. installs omgseg's dependencies from WHEELHOUSE (tools/wheelhouse.sh) without network into
#    the machine's python (PYTHON, default python3), which already has torch; without
#    WHEELHOUSE the environment must already hold them;
# 2. runs the CUDA tests (pytest -m cuda: Triton / mmcv kernel parity, bf16 Triton kernel,
#    bf16 training step and clip inference of the full-size model, --amp fp16);
# 3. benchmarks training of the full-size model (random weights, 736 x 1280, 2-frame clips,
#    batch 1): fp32 / bf16 x PyTorch / Triton (/ mmcv) deformable attention, then bf16 with
#    activation checkpointing, then bf16 with and without torch.compile of the decoder layers;
#    the deformable-attention kernels alone; the FLOP count.
# With MMCV_SOURCE (mmcv's source release) and an mmcv without CUDA ops, mmcv's CUDA
# deformable-attention kernel is compiled from it in the background from the start
# (tools/analysis_tools/mmcv_msda_jit.py, needs nvcc) and timed beside the others.
# Every step writes its log (and JSON where there is one) under $OUT and has its own time
# limit; a failing step is recorded in $OUT/summary.txt and the next one still runs.
# GPU_CHECK_STEPS="cuda_tests benchmark_train ..." runs only the steps named. On one H200 the
# steps took 28 / 43 / 60 / 19 / 50 / 17 / 25 s (environment ... get_flops; docs/results.md).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:?set OUT to the folder for the results}
PYTHON=${PYTHON:-python3}
CONFIG=configs/omgseg/omgseg_convnext-l_8xb1-12e_coco-panoptic.py
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
: > "$SUMMARY"
cd "$ROOT"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"   # this checkout's omgseg

ONLY=${GPU_CHECK_STEPS:-}   # e.g. "cuda_tests benchmark_train": run only these steps
step() {  # step NAME SECONDS COMMAND...: run with a time limit, log, record the status
    local name=$1 limit=$2; shift 2
    if [[ -n "$ONLY" && " $ONLY " != *" $name "* ]]; then
        echo "== $name: skipped (GPU_CHECK_STEPS)" | tee -a "$SUMMARY"
        return
    fi
    local start=$SECONDS
    echo "== $name: $*" | tee -a "$SUMMARY"
    timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
    local rc=$?
    echo "   rc=$rc in $((SECONDS - start)) s (log: $name.log)" | tee -a "$SUMMARY"
    tail -n 25 "$OUT/$name.log"
}

if [[ -n "${1:-}" ]]; then
    step install 50 "$PYTHON" -m pip install --no-index --find-links "$1" omgseg pytest \
        pytest-timeout
fi
MMCV_BUILD_PID=
MMCV_BUILD_DIR=${MMCV_BUILD_DIR:-/tmp/omgseg_mmcv_msda_build}
if [[ -n "${MMCV_SOURCE:-}" ]]; then
    echo "== mmcv_msda_build (background): $MMCV_SOURCE" | tee -a "$SUMMARY"
    timeout 300 "$PYTHON" tools/analysis_tools/mmcv_msda_jit.py "$MMCV_SOURCE" \
        --build-dir "$MMCV_BUILD_DIR" > "$OUT/mmcv_msda_build.log" 2>&1 &
    MMCV_BUILD_PID=$!
fi
step environment 40 "$PYTHON" -c "import torch, mmcv, mmdet; \
from omgseg.models.layers.ms_deform_attn import mmcv_has_cuda_ops, triton_missing; \
print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name()); \
print('bf16', torch.cuda.is_bf16_supported(), 'mmcv', mmcv.__version__, 'mmcv CUDA ops', \
mmcv_has_cuda_ops(), 'triton', triton_missing() or 'ok')"
step cuda_tests 75 "$PYTHON" -m pytest -q -m cuda -p no:cacheprovider -rs \
    --junitxml="$OUT/cuda_tests.xml" tests/test_models tests/test_utils
MSDA_ARGS=()
if [[ -n "$MMCV_BUILD_PID" ]]; then
    wait "$MMCV_BUILD_PID"
    MMCV_BUILD_RC=$?
    echo "   mmcv_msda_build rc=$MMCV_BUILD_RC (log: mmcv_msda_build.log)" | tee -a "$SUMMARY"
    if [[ $MMCV_BUILD_RC == 0 ]]; then
        MSDA_ARGS=(--mmcv-source "$MMCV_SOURCE" --mmcv-build-dir "$MMCV_BUILD_DIR")
    fi
fi
step benchmark_train 110 "$PYTHON" tools/analysis_tools/benchmark_train.py "$CONFIG" \
    --random-init --steps 8 --warmup 3 --amp fp32,bf16 --msda pytorch,triton,mmcv \
    --profile 2 --json "$OUT/benchmark_train.json" "${MSDA_ARGS[@]}"
step benchmark_train_cp 45 "$PYTHON" tools/analysis_tools/benchmark_train.py "$CONFIG" \
    --random-init --steps 5 --warmup 2 --amp bf16 --msda triton --with-cp \
    --json "$OUT/benchmark_train_cp.json"
step benchmark_train_compile 90 "$PYTHON" tools/analysis_tools/benchmark_train.py "$CONFIG" \
    --random-init --steps 4 --warmup 2 --amp bf16 --msda triton --compile \
    --json "$OUT/benchmark_train_compile.json"
step benchmark_msda 35 "$PYTHON" tools/analysis_tools/benchmark_msda.py "${MSDA_ARGS[@]}"
step get_flops 35 "$PYTHON" tools/analysis_tools/get_flops.py "$CONFIG" --random-init \
    --device cuda
echo "results in $OUT (summary.txt, *.log, *.json)"
