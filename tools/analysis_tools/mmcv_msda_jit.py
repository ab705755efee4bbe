"""Compile mmcv's CUDA deformable-attention kernel alone from mmcv's source release
(:mod:`omgseg.utils.mmcv_kernel`), ahead of a benchmark that times it as 'mmcv' where the
installed mmcv has CPU ops only, e.g. in the background of ``tools/gpu_check.sh``. Needs nvcc.

    python tools/analysis_tools/mmcv_msda_jit.py mmcv-2.1.0.tar.gz [--build-dir DIR]

A later ``benchmark_msda.py`` / ``benchmark_train.py --mmcv-source SAME --mmcv-build-dir SAME``
loads the build without compiling again.
"""
from __future__ import annotations

import argparse
import sys
import time

from omgseg.utils.mmcv_kernel import BUILD_ERRORS, build


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('source', help="mmcv's source release: mmcv-2.1.0.tar.gz or its folder")
    p.add_argument('--build-dir', default='work_dirs/mmcv_msda_jit')
    args = p.parse_args(argv)
    start = time.perf_counter()
    try:
        build(args.source, args.build_dir, verbose=True)
    except BUILD_ERRORS as err:  # the compiler's own output, if any, is printed above
        print(f'mmcv_msda_jit: {err}', file=sys.stderr)
        return 2
    print(f'mmcv_msda_jit: built in {time.perf_counter() - start:.0f} s under {args.build_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
