"""Convert the authors' released OMG-Seg checkpoints to this project's layout.

    python tools/model_converters/omgseg_official.py SRC DST [--model-name convnext_large_d_320]
        [--verify-config CONFIG [--cfg-options k=v ...]] [--clip-weights TAG_OR_PATH]

Examples:

    # ConvNeXt-L (HF LXT/OMG_Seg omg_seg_convl.pth), verified against the COCO config
    python tools/model_converters/omgseg_official.py models/omg_seg_convl.pth \\
        checkpoints/omgseg_convnext-l_official.pth \\
        --verify-config configs/omgseg/omgseg_convnext-l_8xb1-12e_coco-panoptic.py
    # ConvNeXt-XXL (omg_seg_convxxl.pth): no XXL config ships, override the backbone
    python tools/model_converters/omgseg_official.py models/omg_seg_convxxl.pth \\
        checkpoints/omgseg_convnext-xxl_official.pth --model-name convnext_xxlarge \\
        --verify-config configs/omgseg/omgseg_convnext-l_coco-interactive.py \\
        --cfg-options model.backbone.model_name=convnext_xxlarge

SRC: a released head-only state dict (plain dict of tensors, keys ``panoptic_head.*``), or an
mmengine checkpoint with a ``state_dict`` (a ``module.`` prefix is stripped). It is read with
``torch.load(weights_only=True)``. ``--model-name`` is the open_clip model the head was trained
on; it fixes the expected shapes (input convs from its stage channels, ``cls_proj`` to its CLIP
dimension). Every key is renamed through the table in ``omgseg/utils/official_checkpoint.py``;
an unmapped key, a missing key or a wrong shape stops the conversion with the full list.

DST: ``{'state_dict': ..., 'meta': {...}}`` (mmengine style; ``meta`` names the source, its
sha256, the model name and the mapping version).

The frozen CLIP backbone is NOT in the released files: the model loads it from open_clip
(``model.backbone.pretrained``) in ``init_weights``. ``tools/test.py`` (mmengine's Runner)
does not call ``init_weights`` before loading a checkpoint, and ``omgseg.apis.init_model``
loads strictly by default; for those, bake the CLIP weights in with ``--clip-weights
laion2b_s29b_b131k_ft_soup`` (an open_clip tag, possibly downloaded, or a local file), which
makes DST a complete checkpoint. A full training checkpoint of the original that holds
``backbone.*`` keys is converted with them.

The box-query parameters (``mask_tokens``, ``pb_embedding``, ``pos_linear``) go to
``panoptic_head.prompt_encoder.*``; configs without a prompt encoder leave them unused.
``--verify-config`` builds the config's model (meta device, no download) and loads DST into it
with ``strict=False``: the only missing keys allowed are ``backbone.*``, none may be unexpected.
Exit status: 0 on success, 1 with a message naming the offending keys otherwise. The work is
``omgseg/utils/official_convert.py``.
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if ROOT not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, ROOT)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description='Convert a released OMG-Seg checkpoint.')
    parser.add_argument('src', help='released .pth (head-only state dict or mmengine checkpoint)')
    parser.add_argument('dst', help='output mmengine-style checkpoint')
    parser.add_argument('--model-name', default='convnext_large_d_320',
                        help='open_clip model of the backbone (convnext_xxlarge for XXL)')
    parser.add_argument('--verify-config', help='load the result into this config\'s model')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='overrides for --verify-config, e.g. '
                             'model.backbone.model_name=convnext_xxlarge')
    parser.add_argument('--clip-weights', help='open_clip tag or file: store backbone.* too')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from omgseg.utils.official_checkpoint import OfficialCheckpointError
    from omgseg.utils.official_convert import convert_official_checkpoint
    try:
        convert_official_checkpoint(args.src, args.dst, model_name=args.model_name,
                                    verify_config=args.verify_config,
                                    cfg_options=args.cfg_options, clip_weights=args.clip_weights)
    except OfficialCheckpointError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
