"""The tiny CLIP of the toy world (``TINY_CLIP_CFG``): its random checkpoint (``checkpoint``),
a contrastive "web pre-training" on rendered toy segments (``pretrain``) and the zero-shot
report of a checkpoint (``zero_shot``). ``scenes`` renders the image side both use.

Real CLIP knows every class from web pre-training, which is what open-vocabulary fusion relies
on; this package gives the tiny CLIP the same property on the toy world, offline. The command
lines are ``tools/misc/make_tiny_clip.py`` and ``tools/misc/pretrain_tiny_clip.py``.
"""
