"""Video panoptic quality (VPQ) of a VIPSeg submission folder, as VIPSeg's ``eval_vpq_vspw.py``.

Example::

    python tools/analysis_tools/eval_vpq.py \
        --gt-json data/VIPSeg/panoptic_gt_VIPSeg_val.json \
        --gt-folder data/VIPSeg/panomasksRGB \
        --pred-dir work_dirs/x/vipseg_submission --out work_dirs/x/vpq.json

Inputs (the official layout): the GT json ``{"videos": [{"video_id", "images": [{"file_name",
"id", "height", "width"}]}], "annotations": [{"video_id", "annotations": [{"file_name",
"image_id", "segments_info": [{"id", "category_id", "iscrowd", "area"}]}]}], "categories":
[{"id", "name", "isthing"}]}``, GT PNGs ``<gt-folder>/<video>/<file_name>``, and
``<pred-dir>/pred.json`` = ``{"annotations": [{"video_id", "annotations": [{"file_name",
"segments_info": [{"id", "category_id"}]}]}]}`` with PNGs
``<pred-dir>/pan_pred/<video>/<file_name>``; PNG ids are ``R + 256 G + 256^2 B``. Frames follow
the GT json order; prediction frames are paired with GT frames by ``file_name`` (by position, as
the reference does, when the prediction json has no file names). Rules:
``omgseg/evaluation/functional/vpq.py``; the job: ``omgseg/evaluation/offline/vpq.py``. Videos
are spread over ``--nproc`` processes.
"""
from __future__ import annotations

import argparse
import sys
import time

from omgseg.evaluation.functional.files import write_metrics
from omgseg.evaluation.functional.vpq import DEFAULT_WINDOWS, format_vpq_table
from omgseg.evaluation.offline.vpq import vpq_compute_files


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--gt-json', required=True, help='panoptic_gt_VIPSeg_val.json')
    parser.add_argument('--gt-folder', required=True, help='panomasksRGB folder (<video>/<png>)')
    parser.add_argument('--pred-dir', required=True,
                        help='submission folder with pred.json and pan_pred/<video>/<png>')
    parser.add_argument('--out', required=True, help='where to write the metrics JSON')
    parser.add_argument('--nproc', type=int, default=None,
                        help='worker processes (default: min(cpu_count, 8))')
    parser.add_argument('--windows', type=int, nargs='+', default=list(DEFAULT_WINDOWS),
                        help='window sizes k (default: 1 2 4 6 8, as VIPSeg)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.time()
    try:
        summary, _ = vpq_compute_files(args.gt_json, args.gt_folder, args.pred_dir,
                                       windows=args.windows, nproc=args.nproc)
    except (FileNotFoundError, ValueError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    print(format_vpq_table(summary))
    print(f'Time elapsed: {time.time() - start:.2f} s')
    write_metrics(summary, args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
