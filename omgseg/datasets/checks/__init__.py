"""Checks of a user's data against its config before training (``check_config``): missing or
unreadable files, segment ids absent from the PNGs, classes absent from the vocabulary, empty
images, videos shorter than the training clip; every problem reported at once, with counts
(``DataReport``). The command line is ``tools/analysis_tools/check_dataset.py``;
``tools/train.py --check-data`` runs it before building the runner."""
from .config_checks import check_config, check_dataset, clip_span, config_datasets
from .report import FIXES, DataReport, Problem

__all__ = ['check_config', 'check_dataset', 'clip_span', 'config_datasets', 'FIXES',
           'DataReport', 'Problem']
