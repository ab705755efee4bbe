"""One handler per task group; :class:`OMGSeg` maps a sample's ``task`` to its handler.

- :class:`ObjectQueryTask`: panoptic, instance and semantic (images and videos),
- :class:`InteractiveTask`: point / box prompts,
- :class:`VOSTask`: semi-supervised video object segmentation.

Each handler has its own ``loss`` / ``predict`` and its own typed settings
(:mod:`.settings`); class scoring (plain or open-vocabulary) is a :class:`ClassScorer` handed to
them in a :class:`TaskContext`, with the shared network.
"""
from .class_scorer import ClassScorer
from .clips import output_resizer
from .context import TaskContext
from .interactive import InteractiveTask
from .object_queries import ObjectQueryTask
from .settings import (ClipSettings, InteractiveSettings, ObjectSettings, OpenVocabSettings,
                       InferenceSettings, VOSSettings, parse_open_vocab_cfg)
from .vos import VOSTask, first_frame_objects

__all__ = ['ClassScorer', 'TaskContext', 'ObjectQueryTask', 'InteractiveTask', 'VOSTask',
           'InferenceSettings', 'ObjectSettings', 'ClipSettings', 'VOSSettings',
           'InteractiveSettings', 'OpenVocabSettings', 'parse_open_vocab_cfg', 'output_resizer',
           'first_frame_objects']
