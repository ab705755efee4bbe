"""YouTube-VIS mask AP of a results file against an official-format annotation json.

The rules are those of youtubevos/cocoapi ``ytvoseval.py`` (``omgseg.evaluation.functional.
ytvis``); ``tools/analysis_tools/eval_ytvis.py`` is the command line.
"""
from __future__ import annotations

from omgseg.evaluation.functional.ytvis import load_ytvis_json, ytvis_evaluate


def ytvis_evaluate_files(gt_json: str, results: str) -> dict:
    """COCOeval-style statistics of ``results`` (a CodaLab results json or the submission zip
    holding ``results.json``) against the annotated json ``gt_json``.

    Raises:
        FileNotFoundError / ValueError naming the file at fault; ValueError when ``gt_json``
        holds no annotations (the official val/test GT is private: submit to CodaLab).
    """
    gt = load_ytvis_json(gt_json)
    if not isinstance(gt, dict) or not gt.get('annotations'):
        raise ValueError(f'{gt_json} holds no "annotations": the official val/test '
                         f'GT is private; submit the zip to CodaLab instead')
    return ytvis_evaluate(gt, load_ytvis_json(results), source=results)
