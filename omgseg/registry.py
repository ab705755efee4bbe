"""omgseg registers into mmdet's registries so configs use plain ``type='Name'`` strings."""
from mmdet.registry import (DATA_SAMPLERS, DATASETS, HOOKS, METRICS, MODELS,  # noqa: F401
                            TASK_UTILS, TRANSFORMS, VISUALIZERS)
