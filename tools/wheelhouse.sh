#!/usr/bin/env bash
# Build a wheelhouse from which an offline GPU node installs omgseg into a Python that already
# has torch:  pip install --no-index --find-links OUTDIR omgseg   (docs/install_gpu.md)
#
#   bash tools/wheelhouse.sh [--dry-run] TORCH_SPEC OUTDIR
#
# TORCH_SPEC is the node's torch, e.g. 'torch==2.13.0' (TORCH_INDEX_URL selects a wheel index
# such as https://download.pytorch.org/whl/cu128, PYTHON the interpreter version, default the
# node's 3.11). The script, on a machine with network access:
#   1. makes a build venv with that torch (and torchvision resolved to match it);
#   2. builds mmcv 2.1.0 against it with CPU ops (CUDA_VISIBLE_DEVICES= hides any GPU from
#      mmcv's setup.py; FORCE_CUDA=1 in the environment builds its CUDA ops instead, which
#      needs an nvcc of torch's CUDA version);
#   3. downloads every other dependency, and the dev group (pytest, for tools/gpu_check.sh), at
#      the version uv.lock pins (torch, its CUDA libraries and triton excluded: the node has
#      them) plus the matching torchvision;
#   4. builds the omgseg wheel.
# --dry-run prints the commands and the pinned requirement list without running anything.
set -euo pipefail

DRY=0
if [[ "${1:-}" == "--dry-run" ]]; then DRY=1; shift; fi
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" || $# -ne 2 ]]; then
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
    [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]] && exit 0 || exit 2
fi
TORCH_SPEC=$1
OUTDIR=$2
PYTHON=${PYTHON:-3.11}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
UV=${UV:-uv}
BUILD=${WHEELHOUSE_BUILD_DIR:-$(mktemp -d)}
if [[ $DRY == 1 && -z "${WHEELHOUSE_BUILD_DIR:-}" ]]; then trap 'rm -rf "$BUILD"' EXIT; fi
INDEX_ARGS=()
if [[ -n "${TORCH_INDEX_URL:-}" ]]; then
    INDEX_ARGS=(--extra-index-url "$TORCH_INDEX_URL")
fi

run() {  # print a command, and run it unless --dry-run
    printf '+ %s\n' "$*"
    if [[ $DRY == 0 ]]; then "$@"; fi
}

command -v "$UV" >/dev/null || { echo "wheelhouse.sh: uv not found (python3 -m pip install uv)" >&2; exit 1; }

# Dependencies at uv.lock's versions, without the ones the node's torch brings (torch, its
# nvidia-* / cuda-* libraries, triton) or that are built here (mmcv, torchvision, omgseg).
REQS="$BUILD/requirements.txt"
mkdir -p "$BUILD"
(cd "$ROOT" && "$UV" export --frozen --no-hashes --no-emit-project \
    --no-header --format requirements-txt) \
    | grep -v -E '^\s*(#|$)' | grep -v -E '^\s+' \
    | grep -v -i -E '^(torch|torchvision|triton|mmcv|nvidia-[a-z0-9-]+|cuda-[a-z0-9-]+)([=<>; ]|$)' \
    > "$REQS"
echo "pinned requirements for the wheelhouse ($(wc -l < "$REQS") packages): $REQS"
if [[ $DRY == 1 ]]; then sed 's/^/    /' "$REQS"; fi

VENV="$BUILD/venv"
PY="$VENV/bin/python"
run "$UV" venv --seed --python "$PYTHON" "$VENV"
# opencv-python-headless in the build venv: mmcv's setup.py then makes its wheel require it (as
# omgseg does) instead of opencv-python, which the wheelhouse would not hold.
run "$UV" pip install --python "$PY" "${INDEX_ARGS[@]}" "$TORCH_SPEC" torchvision \
    'setuptools>=77,<82' wheel numpy opencv-python-headless
run mkdir -p "$OUTDIR"
# mmcv: compiled against exactly this torch; CPU ops unless FORCE_CUDA=1 is exported.
run env CUDA_VISIBLE_DEVICES= MMCV_WITH_OPS=1 "$PY" -m pip wheel --no-deps --no-cache-dir \
    --no-build-isolation --wheel-dir "$OUTDIR" 'mmcv==2.1.0'
# the public version: PyPI's wheels carry no local tag (+cu130) though __version__ prints one
TV_VERSION=$([[ $DRY == 1 ]] && echo '<resolved>' || "$PY" -c 'import torchvision; print(torchvision.__version__.split("+")[0])')
run "$PY" -m pip download --no-deps "${INDEX_ARGS[@]}" --dest "$OUTDIR" "torchvision==$TV_VERSION"
run "$PY" -m pip wheel --no-deps --wheel-dir "$OUTDIR" -r "$REQS"
run "$PY" -m pip wheel --no-deps --no-build-isolation --wheel-dir "$OUTDIR" "$ROOT"
if [[ $DRY == 0 ]]; then
    TORCH_VERSION=$("$PY" -c 'import torch; print(torch.__version__)')
    printf 'torch %s\ncuda ops %s\n' "$TORCH_VERSION" "${FORCE_CUDA:-0}" > "$OUTDIR/BUILT_AGAINST.txt"
    echo "wheelhouse ready: $OUTDIR (mmcv built against torch $TORCH_VERSION)"
    echo "on the node:  python -m pip install --no-index --find-links $OUTDIR omgseg"
fi
