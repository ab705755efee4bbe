"""Shared constants: task names and label/id encodings.

Submodules hold what data, models and evaluation exchange beyond constants: ``prompts``
(prompt kinds and point boxes; needs torch) and ``mask_geometry`` (numpy only).
"""

# Tasks a packed sample can carry in its metainfo (``task``). The model routes on these only.
TASK_PANOPTIC = 'panoptic'          # image or video panoptic (and semantic, instance outputs)
TASK_INSTANCE = 'instance'          # thing-only targets (e.g. YouTube-VIS)
TASK_SEMANTIC = 'semantic'          # semantic targets only
TASK_INTERACTIVE = 'interactive'    # point/box prompts, class-agnostic masks
TASK_VOS = 'vos'                    # first-frame masks select and propagate proposals
TASKS = (TASK_PANOPTIC, TASK_INSTANCE, TASK_SEMANTIC, TASK_INTERACTIVE, TASK_VOS)
# tasks whose targets and outputs carry no class (labels -1 in a merged vocabulary)
CLASS_AGNOSTIC_TASKS = (TASK_INTERACTIVE, TASK_VOS)

# Void / ignore value of in-memory semantic maps (int64); merged vocabularies exceed 255 classes.
IGNORE_INDEX = 65535
# Void value of uint8 semantic PNG files on disk.
PNG_IGNORE = 255
# panopticapi's id encoding of RGB PNGs: id = R + 256 * G + 256 ** 2 * B; 0 is void.
PANOPTIC_VOID_ID = 0
