"""Evaluation: pure-numpy metric functions (``functional``) and mmengine metric wrappers.

Keep this module free of heavy imports (torch, mmengine): command-line tools such as
``tools/analysis_tools/eval_panoptic.py`` import ``omgseg.evaluation.functional`` and start in
well under a second, including in every worker process.
"""
