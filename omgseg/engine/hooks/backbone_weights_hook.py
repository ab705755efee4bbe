"""Give a frozen CLIP backbone its pretrained weights when a checkpoint does not carry them."""
from __future__ import annotations

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from omgseg.registry import HOOKS


@HOOKS.register_module()
class PretrainedBackboneHook(Hook):
    """Load the backbone's ``pretrained`` CLIP weights for checkpoints without ``backbone.*``.

    The authors' released files (and ``tools/model_converters/omgseg_official.py`` output
    without ``--clip-weights``) hold the head only: the frozen backbone is open_clip's. mmengine
    does not call ``init_weights`` when it tests or resumes from a checkpoint, so without this
    hook such a file would be evaluated on a randomly initialised backbone. Checkpoints that do
    contain backbone weights (every training checkpoint) are loaded as they are.
    """

    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('state_dict', checkpoint)
        if any(key.startswith(('backbone.', 'module.backbone.')) for key in state):
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        backbone = getattr(model, 'backbone', None)
        if backbone is None or getattr(backbone, 'pretrained', None) is None:
            raise ValueError('the checkpoint has no backbone.* weights and model.backbone has no '
                             '`pretrained` source to take them from; set '
                             'model.backbone.pretrained (an open_clip tag or a local file).')
        print_log(f'checkpoint has no backbone.* weights: loading the backbone from '
                  f'pretrained={backbone.pretrained!r}', logger='current')
        backbone.init_weights()
