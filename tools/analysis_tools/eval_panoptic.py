"""Panoptic quality of a prediction folder against COCO-format panoptic GT (panopticapi inputs).

Example::

    python tools/analysis_tools/eval_panoptic.py \
        --gt-json data/coco/annotations/panoptic_val2017.json \
        --gt-folder data/coco/annotations/panoptic_val2017 \
        --pred-json work_dirs/x/panoptic.json --pred-folder work_dirs/x/panoptic \
        --out work_dirs/x/pq_metrics.json

Same rules and output structure as panopticapi's ``pq_compute`` (see
``omgseg/evaluation/functional/panoptic.py``; the job: ``omgseg/evaluation/offline/panoptic.py``);
the per-image work is vectorised, and images are spread over ``--nproc`` processes.
"""
from __future__ import annotations

import argparse
import sys
import time

from omgseg.evaluation.functional.files import write_metrics
from omgseg.evaluation.functional.panoptic import format_pq_table
from omgseg.evaluation.offline.panoptic import pq_compute_files


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--gt-json', required=True, help='panoptic GT JSON (COCO format)')
    parser.add_argument('--gt-folder', required=True, help='folder of GT panoptic PNGs')
    parser.add_argument('--pred-json', required=True, help='prediction JSON (same format)')
    parser.add_argument('--pred-folder', required=True, help='folder of predicted PNGs')
    parser.add_argument('--out', required=True, help='where to write metrics JSON')
    parser.add_argument('--nproc', type=int, default=None,
                        help='worker processes (default: min(cpu_count, 8))')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.time()
    try:
        summary, _ = pq_compute_files(args.gt_json, args.pred_json, args.gt_folder,
                                      args.pred_folder, args.nproc)
    except (FileNotFoundError, ValueError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    print(format_pq_table(summary))
    print(f'Time elapsed: {time.time() - start:.2f} s')
    write_metrics(summary, args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
