"""YouTube-VIS mask AP of a results file against an official-format annotation json.

Example::

    python tools/analysis_tools/eval_ytvis.py \
        --gt-json data/youtube_vis_2019/annotations/my_val_split.json \
        --results work_dirs/x/results.json --out work_dirs/x/ytvis_metrics.json

``--results`` is a CodaLab results list (``video_id``, ``score``, ``category_id``,
``segmentations``) as JSON, or the submission zip holding ``results.json``. The rules are
those of youtubevos/cocoapi ``ytvoseval.py`` (see ``omgseg/evaluation/functional/ytvis.py``;
the job: ``omgseg/evaluation/offline/ytvis.py``).
The official val/test GT is private (scored on CodaLab); use a split with annotations.

Writes ``{"AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10"}`` as fractions in [0, 1];
-1 marks a value with no GT to measure (e.g. APl when no object is large), as in COCOeval.
"""
from __future__ import annotations

import argparse
import sys
import time

from omgseg.evaluation.functional.files import write_metrics
from omgseg.evaluation.functional.ytvis import REPORTED_STATS, format_ytvis_table
from omgseg.evaluation.offline.ytvis import ytvis_evaluate_files


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--gt-json', required=True,
                        help='YouTube-VIS annotation json (videos, annotations, categories)')
    parser.add_argument('--results', required=True,
                        help='results json (list of predictions) or submission zip')
    parser.add_argument('--out', required=True, help='where to write the metrics json')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.time()
    try:
        stats = ytvis_evaluate_files(args.gt_json, args.results)
    except (FileNotFoundError, ValueError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    print(format_ytvis_table(stats))
    print(f'Time elapsed: {time.time() - start:.2f} s')
    write_metrics({n: stats[n] for n in REPORTED_STATS}, args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
