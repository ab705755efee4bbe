"""omgseg registers into mmdet's registries so configs use plain ``type='Name'`` strings."""
from mmdet.registry import (DATA_SAMPLERS, DATASETS, HOOKS, LOOPS, METRICS,  # noqa: F401
                            MODELS, OPTIM_WRAPPERS, TASK_UTILS, TRANSFORMS, VISUALIZERS)
