"""Import every omgseg module that registers something, and make checkpoints loadable safely.

Configs name this module in ``custom_imports``; scripts that build from registries without a
Runner import it first.
"""
from omgseg.utils.safe_load import register_safe_globals

register_safe_globals()

from omgseg import engine, models  # noqa: E402,F401
from omgseg.datasets import coco_panoptic, samplers, transforms, vipseg, youtube_vis  # noqa: E402,F401
from omgseg.datasets import coco_instances, davis, joint_dataset  # noqa: E402,F401
from omgseg.evaluation import metrics  # noqa: E402,F401
