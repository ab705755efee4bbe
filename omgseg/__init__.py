"""omgseg: one model for image, video, interactive and open-vocabulary segmentation.

Importing ``omgseg`` is cheap (no torch). ``import omgseg.register`` (what configs name in
``custom_imports``) registers every module in mmdet's registries and allow-lists mmengine's
checkpoint contents for ``torch.load(weights_only=True)``.
"""

__version__ = '0.1.0'
