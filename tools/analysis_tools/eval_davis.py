"""DAVIS 2017 semi-supervised J&F of a results folder, as davisvideochallenge/davis2017-evaluation.

Example::

    python tools/analysis_tools/eval_davis.py --davis-root data/DAVIS \
        --results work_dirs/x/davis_results --set val --out work_dirs/x/davis_jf.json

Inputs (the official layout): ``<davis-root>/ImageSets/2017/<set>.txt`` (one sequence per line),
GT ``<davis-root>/Annotations/480p/<seq>/<frame>.png`` indexed (palette) PNGs with 0 background,
1..N objects and 255 void, and results ``<results>/<seq>/<frame>.png`` with the same frame names
and sizes. Only frames 1..T-2 are scored, so only their result PNGs are required (as the
reference reads). Result PNGs are indexed (mode P or L); RGB PNGs are accepted when every colour
is an entry of the DAVIS (PASCAL VOC) palette, which maps it back to its index. Rules:
``omgseg/evaluation/functional/davis.py``; the job: ``omgseg/evaluation/offline/davis.py``.
Sequences are spread over ``--nproc`` processes.

Writes ``--out`` as JSON: the seven measures ``J&F-Mean, J-Mean, J-Recall, J-Decay, F-Mean,
F-Recall, F-Decay`` (fractions, not percent) and ``per_sequence`` (``<seq>_<i>`` -> J-Mean,
F-Mean, J&F-Mean, one entry per object as the reference's per-sequence table).
"""
from __future__ import annotations

import argparse
import sys
import time

from omgseg.evaluation.functional.davis import format_davis_table
from omgseg.evaluation.functional.files import write_metrics
from omgseg.evaluation.offline.davis import davis_evaluate_folder


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--davis-root', required=True,
                        help='DAVIS folder with ImageSets/2017 and Annotations/<resolution>')
    parser.add_argument('--results', required=True, help='results folder (<seq>/<frame>.png)')
    parser.add_argument('--set', default='val', help='ImageSets/2017/<set>.txt (default: val)')
    parser.add_argument('--out', required=True, help='where to write the metrics JSON')
    parser.add_argument('--nproc', type=int, default=None,
                        help='worker processes (default: min(cpu_count, 8))')
    parser.add_argument('--resolution', default='480p', help='Annotations subfolder (480p)')
    parser.add_argument('--exclude-void', action='store_true',
                        help='leave GT void (255) pixels out of J and F; the official tool '
                             'counts them as background (default)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.time()
    try:
        summary = davis_evaluate_folder(args.davis_root, args.results, subset=args.set,
                                        resolution=args.resolution, nproc=args.nproc,
                                        exclude_void=args.exclude_void)
    except (FileNotFoundError, ValueError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    print(format_davis_table(summary))
    print(f'Time elapsed: {time.time() - start:.2f} s')
    write_metrics(summary, args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
