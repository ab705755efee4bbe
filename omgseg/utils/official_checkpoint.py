"""Map the authors' released OMG-Seg checkpoints (lxtGH/OMG-Seg) onto this project's model.

The released files (``omg_seg_convl.pth``, ``omg_seg_convxxl.pth``) are plain state dicts of
the *head only*: keys ``panoptic_head.*`` in mmdet 3.x module names. Our head keeps the same
sub-module layout, so the table below is the identity except for the box-query parameters,
which the original keeps on the head and we keep in :class:`PromptEncoder`. The frozen CLIP
backbone is not in those files; the model reads it from open_clip (``model.backbone.pretrained``)
in ``init_weights``. A full training checkpoint of the original also holds ``backbone.*`` keys,
whose names (``stem``, ``layer1..4``, ``head.0``, ``head.1``) are ours already.

Every source key must match exactly one rule of :data:`RENAMES` or :data:`DROPPED`; every
expected head key must be present; every shape must match. Otherwise
:class:`OfficialCheckpointError` lists all offending keys at once.
"""
from __future__ import annotations

import contextlib
import functools
import re
from dataclasses import dataclass, field

import torch
from torch import nn

MAPPING_VERSION = 'omgseg-official-v1'
HEAD = 'panoptic_head.'
PROMPT_ENCODER = HEAD + 'prompt_encoder.'

# (original key regex, our key template), matched with re.fullmatch. Order does not matter:
# the patterns are disjoint.
RENAMES: list[tuple[str, str]] = [
    # mmdet MSDeformAttnPixelDecoder: same class (ours only swaps the attention kernel)
    (r'panoptic_head\.pixel_decoder\.(input_convs\.[0-2]\.(?:conv|gn)\.(?:weight|bias))',
     r'panoptic_head.pixel_decoder.\1'),
    (r'panoptic_head\.pixel_decoder\.(encoder\.layers\.[0-5]\.(?:self_attn\.(?:sampling_offsets'
     r'|attention_weights|value_proj|output_proj)|ffn\.layers\.(?:0\.0|1)|norms\.[01])'
     r'\.(?:weight|bias))', r'panoptic_head.pixel_decoder.\1'),
    (r'panoptic_head\.pixel_decoder\.(level_encoding\.weight)', r'panoptic_head.pixel_decoder.\1'),
    (r'panoptic_head\.pixel_decoder\.((?:lateral|output)_convs\.0\.(?:conv|gn)\.(?:weight|bias))',
     r'panoptic_head.pixel_decoder.\1'),
    (r'panoptic_head\.pixel_decoder\.(mask_feature\.(?:weight|bias))',
     r'panoptic_head.pixel_decoder.\1'),
    # mmdet Mask2FormerTransformerDecoder: same class
    (r'panoptic_head\.transformer_decoder\.(layers\.[0-8]\.(?:(?:self|cross)_attn\.attn\.'
     r'(?:in_proj_weight|in_proj_bias|out_proj\.weight|out_proj\.bias)|(?:ffn\.layers\.'
     r'(?:0\.0|1)|norms\.[0-2])\.(?:weight|bias)))', r'panoptic_head.transformer_decoder.\1'),
    (r'panoptic_head\.transformer_decoder\.(post_norm\.(?:weight|bias))',
     r'panoptic_head.transformer_decoder.\1'),
    # queries, level embedding and the per-query heads: same modules, same computation
    # (iou_embed is our objectness MLP on post_norm(query); mask_pooling_proj is LN + Linear
    # applied to the mask-pooled pixel features before cls_proj, as in the original)
    (r'panoptic_head\.((?:query_embed|query_feat|level_embed)\.weight)', r'panoptic_head.\1'),
    (r'panoptic_head\.((?:mask_embed|iou_embed|cls_proj)\.[024]\.(?:weight|bias))',
     r'panoptic_head.\1'),
    (r'panoptic_head\.(mask_pooling_proj\.[01]\.(?:weight|bias))', r'panoptic_head.\1'),
    # box-query (interactive) parameters live in our PromptEncoder
    (r'panoptic_head\.((?:mask_tokens|pb_embedding)\.weight|pos_linear\.(?:weight|bias))',
     r'panoptic_head.prompt_encoder.\1'),
    # full training checkpoints: the original re-parents open_clip's ConvNeXt as we do
    (r'backbone\.(stem\.[01]\.(?:weight|bias))', r'backbone.\1'),
    (r'backbone\.(layer[1-4]\.(?:downsample\.[01]\.(?:weight|bias)|blocks\.\d+\.(?:gamma|'
     r'(?:conv_dw|norm|mlp\.fc1|mlp\.fc2)\.(?:weight|bias))))', r'backbone.\1'),
    (r'backbone\.(head\.0\.norm\.(?:weight|bias)|head\.1\.(?:mlp\.fc[12]|proj)\.(?:weight|bias))',
     r'backbone.\1'),
]

# Keys deliberately not carried over, with the reason printed by the tool. The reference says
# both are non-persistent buffers in the original, so released files should not hold them.
DROPPED: dict[str, str] = {
    r'panoptic_head\.cls_embed': 'class prototypes come from the class-embedding file '
                                 '(tools/gen_class_embeddings.py), never from checkpoints',
    r'panoptic_head\.logit_scale': 'the classifier temperature is fixed by the config '
                                   '(logit_scale defaults to the original exp(4.6052))',
}
BOX_QUERY_KEYS = ('panoptic_head.mask_tokens.weight', 'panoptic_head.pb_embedding.weight',
                  'panoptic_head.pos_linear.weight', 'panoptic_head.pos_linear.bias')


class OfficialCheckpointError(ValueError):
    """A source checkpoint that does not fit the expected layout (message lists the keys)."""


def released_head_shapes(in_channels: list[int], clip_dim: int, *, feat: int = 256,
                         box_query: bool = True) -> dict[str, tuple[int, ...]]:
    """Key -> shape of the original ``panoptic_head`` (its own key names).

    Args:
        in_channels: backbone channels at strides 4, 8, 16, 32 ([192, 384, 768, 1536] for
            ConvNeXt-L, [384, 768, 1536, 3072] for ConvNeXt-XXL).
        clip_dim: D of ``cls_proj``'s output (768 for L, 1024 for XXL).
        feat: decoder width (256).
        box_query: include ``mask_tokens`` / ``pb_embedding`` / ``pos_linear``.
    """
    s: dict[str, tuple[int, ...]] = {}

    def linear(name, out, inp, bias=True):
        s[f'{name}.weight'] = (out, inp)
        if bias:
            s[f'{name}.bias'] = (out,)

    def norm(name):
        s[f'{name}.weight'] = s[f'{name}.bias'] = (feat,)

    pd = HEAD + 'pixel_decoder.'
    for i, c in enumerate(reversed(in_channels[1:])):               # strides 32, 16, 8
        s[f'{pd}input_convs.{i}.conv.weight'] = (feat, c, 1, 1)
        s[f'{pd}input_convs.{i}.conv.bias'] = (feat,)
        norm(f'{pd}input_convs.{i}.gn')
    heads, levels, points = 8, 3, 4
    for i in range(6):
        a = f'{pd}encoder.layers.{i}.'
        linear(a + 'self_attn.sampling_offsets', heads * levels * points * 2, feat)
        linear(a + 'self_attn.attention_weights', heads * levels * points, feat)
        linear(a + 'self_attn.value_proj', feat, feat)
        linear(a + 'self_attn.output_proj', feat, feat)
        linear(a + 'ffn.layers.0.0', 1024, feat)
        linear(a + 'ffn.layers.1', feat, 1024)
        norm(a + 'norms.0')
        norm(a + 'norms.1')
    s[f'{pd}level_encoding.weight'] = (levels, feat)
    s[f'{pd}lateral_convs.0.conv.weight'] = (feat, in_channels[0], 1, 1)   # GN follows: no bias
    norm(f'{pd}lateral_convs.0.gn')
    s[f'{pd}output_convs.0.conv.weight'] = (feat, feat, 3, 3)
    norm(f'{pd}output_convs.0.gn')
    s[f'{pd}mask_feature.weight'] = (feat, feat, 1, 1)
    s[f'{pd}mask_feature.bias'] = (feat,)
    td = HEAD + 'transformer_decoder.'
    for i in range(9):
        a = f'{td}layers.{i}.'
        for attn in ('self_attn', 'cross_attn'):
            s[f'{a}{attn}.attn.in_proj_weight'] = (3 * feat, feat)
            s[f'{a}{attn}.attn.in_proj_bias'] = (3 * feat,)
            linear(f'{a}{attn}.attn.out_proj', feat, feat)
        linear(a + 'ffn.layers.0.0', 2048, feat)
        linear(a + 'ffn.layers.1', feat, 2048)
        for j in range(3):
            norm(f'{a}norms.{j}')
    norm(td + 'post_norm')
    s[HEAD + 'query_embed.weight'] = s[HEAD + 'query_feat.weight'] = (300, feat)
    s[HEAD + 'level_embed.weight'] = (levels, feat)
    for name, out in (('mask_embed', feat), ('iou_embed', 1), ('cls_proj', clip_dim)):
        linear(f'{HEAD}{name}.0', feat, feat)
        linear(f'{HEAD}{name}.2', feat, feat)
        linear(f'{HEAD}{name}.4', out, feat)
    norm(HEAD + 'mask_pooling_proj.0')
    linear(HEAD + 'mask_pooling_proj.1', feat, feat)
    if box_query:
        s[HEAD + 'mask_tokens.weight'] = (1, feat)
        s[HEAD + 'pb_embedding.weight'] = (2, feat)
        linear(HEAD + 'pos_linear', feat, 2 * feat)
    return s


def load_source(path: str) -> dict[str, torch.Tensor]:
    """Read a released state dict, or an mmengine checkpoint's ``state_dict``, safely
    (``weights_only=True``), without a DDP ``module.`` prefix."""
    from omgseg.utils.safe_load import register_safe_globals

    register_safe_globals()
    try:
        ckpt = torch.load(path, map_location='cpu', weights_only=True)
    except FileNotFoundError:
        raise OfficialCheckpointError(f'{path}: no such file.') from None
    except Exception as err:  # unpickling refusals come as several types
        raise OfficialCheckpointError(
            f'{path} cannot be read with weights_only=True ({err}). Released OMG-Seg files are '
            f'plain state dicts; re-save other files as {{"state_dict": ...}} of tensors.'
        ) from None
    if isinstance(ckpt, dict) and 'state_dict' in ckpt:   # mmengine checkpoint
        ckpt = ckpt['state_dict']
    if not isinstance(ckpt, dict) or not ckpt:
        raise OfficialCheckpointError(f'{path} holds no state dict (a dict of tensors, alone or '
                                      f'under "state_dict"), got {type(ckpt).__name__}.')
    bad = [k for k, v in ckpt.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise OfficialCheckpointError(f'{path}: non-tensor entries {bad[:5]} in the state dict.')
    return {k[len('module.'):] if k.startswith('module.') else k: v for k, v in ckpt.items()}


@contextlib.contextmanager
def meta_build():
    """Build modules on the meta device (no memory, no weight init, ~1 s for ConvNeXt-L).

    open_clip's ``create_model`` moves the model to ``device`` ('cpu' by default), which meta
    tensors refuse; asking it for ``device='meta'`` keeps it a no-op. Nothing is downloaded:
    the architecture is built with ``pretrained=None`` as in ``OpenCLIPBackbone``.
    """
    import open_clip

    real = open_clip.create_model
    open_clip.create_model = functools.partial(real, device='meta')
    try:
        with torch.device('meta'):
            yield
    finally:
        open_clip.create_model = real


@functools.lru_cache(maxsize=8)
def backbone_layout(model_name: str) -> tuple[tuple[int, ...], int, dict[str, tuple[int, ...]]]:
    """(out_channels, clip_dim, ``backbone.*`` key -> shape) of our backbone for an open_clip
    ConvNeXt ``model_name``, built on the meta device (cached: treat the dict as read-only)."""
    from omgseg.models.backbones import OpenCLIPBackbone

    with meta_build():
        backbone = OpenCLIPBackbone(model_name=model_name, pretrained=None)
    shapes = {f'backbone.{k}': tuple(v.shape) for k, v in backbone.state_dict().items()}
    return tuple(backbone.out_channels), int(backbone.clip_dim), shapes


@dataclass
class Conversion:
    """Result of :func:`convert_state_dict`."""
    state_dict: dict[str, torch.Tensor]
    dropped: dict[str, str] = field(default_factory=dict)      # source key -> reason
    box_query: bool = True
    has_backbone: bool = False


def _rename(key: str) -> str | None:
    for pattern, template in RENAMES:
        if re.fullmatch(pattern, key):
            return re.sub(pattern, template, key)
    return None


def rename_keys(source: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename an original state dict with :data:`RENAMES`, dropping :data:`DROPPED` keys, but
    without the released-layout shape checks of :func:`convert_state_dict`: for heads of other
    widths or depths, e.g. the tiny original heads of the fidelity fixtures.

    Raises:
        OfficialCheckpointError: listing the source keys that no rule maps.
    """
    out, unknown = {}, []
    for key, value in source.items():
        if any(re.fullmatch(p, key) for p in DROPPED):
            continue
        new = _rename(key)
        if new is None:
            unknown.append(key)
        else:
            out[new] = value
    if unknown:
        raise OfficialCheckpointError(f'{len(unknown)} source key(s) with no mapping: '
                                      f'{unknown[:20]}')
    return out


def _hint(key: str, got: tuple, want: tuple) -> str:
    if key.endswith('input_convs.0.conv.weight') and len(got) == 4:
        return (f' (the source has {got[1]} stride-32 channels: ConvNeXt-L has 1536, ConvNeXt-XXL '
                f'3072; pass --model-name convnext_xxlarge for the XXL file)')
    if key.endswith('cls_proj.4.weight'):
        return f' (CLIP dim {got[0]} vs {want[0]}: wrong --model-name?)'
    return ''


def convert_state_dict(source: dict[str, torch.Tensor], *, model_name: str) -> Conversion:
    """Rename a released (or full training) state dict to our keys, checking every key and
    shape against the layout of ``model_name``.

    Raises:
        OfficialCheckpointError: listing unknown keys, missing head keys and shape mismatches.
    """
    in_channels, clip_dim, bb_shapes = backbone_layout(model_name)
    expected = released_head_shapes(list(in_channels), clip_dim)
    present_bq = [k for k in BOX_QUERY_KEYS if k in source]
    box_query = bool(present_bq)
    if not box_query:  # trained without enable_box_query: no interactive mode
        expected = {k: v for k, v in expected.items() if k not in BOX_QUERY_KEYS}
    out, dropped, unknown, mismatched = {}, {}, [], []
    for key, value in source.items():
        reason = next((r for p, r in DROPPED.items() if re.fullmatch(p, key)), None)
        if reason is not None:
            dropped[key] = reason
            continue
        new = _rename(key)
        want = expected.get(key) if key.startswith(HEAD) else bb_shapes.get(new or '')
        if new is None or want is None:
            unknown.append(key)
            continue
        if tuple(value.shape) != want:
            mismatched.append(f'{key}: source {tuple(value.shape)}, {model_name} expects '
                              f'{want}{_hint(key, tuple(value.shape), want)}')
        out[new] = value
    missing = [k for k in expected if k not in source]
    has_backbone = any(k.startswith('backbone.') for k in out)
    if has_backbone:
        missing += [k for k in bb_shapes if k not in out]
    problems = []
    if unknown:
        problems.append(f'{len(unknown)} source key(s) with no mapping: {unknown[:20]}')
    if missing:
        problems.append(f'{len(missing)} expected key(s) missing from the source: {missing[:20]}')
    if mismatched:
        problems.append(f'{len(mismatched)} shape mismatch(es):\n  ' + '\n  '.join(mismatched[:20]))
    if problems:
        raise OfficialCheckpointError(
            f'source does not match the released OMG-Seg layout for {model_name}:\n'
            + '\n'.join(problems))
    return Conversion(state_dict=out, dropped=dropped, box_query=box_query,
                      has_backbone=has_backbone)


@dataclass
class CheckResult:
    """What :func:`check_converted` found (all key lists sorted)."""
    loaded: list[str]
    missing_backbone: list[str]
    unused_prompt_encoder: list[str]


def check_converted(model: nn.Module, state_dict: dict[str, torch.Tensor]) -> CheckResult:
    """Load a converted state dict into ``model`` (``strict=False``) and demand that the only
    missing keys are ``backbone.*`` (the frozen CLIP, loaded from open_clip at init) and that
    no key is unexpected.

    Prompt-encoder weights are set aside, not loaded, when the config builds no prompt encoder
    (``panoptic_head.prompt_encoder`` is None): the released heads carry the interactive
    parameters, and the non-interactive configs simply do not use them.

    Raises:
        OfficialCheckpointError: shape mismatches, non-backbone missing keys or unexpected keys.
    """
    head = getattr(model, 'panoptic_head', None)
    state = dict(state_dict)
    unused = []
    if head is not None and getattr(head, 'prompt_encoder', None) is None:
        unused = sorted(k for k in state if k.startswith(PROMPT_ENCODER))
        for k in unused:
            del state[k]
    own = model.state_dict()
    bad = [f'{k}: file {tuple(v.shape)}, model {tuple(own[k].shape)}'
           for k, v in state.items() if k in own and tuple(v.shape) != tuple(own[k].shape)]
    if bad:
        raise OfficialCheckpointError(f'{len(bad)} shape mismatch(es) with the config\'s model '
                                      f'(another model_name?):\n  ' + '\n  '.join(bad[:20]))
    result = model.load_state_dict(state, strict=False)
    missing = sorted(result.missing_keys)
    other = [k for k in missing if not k.startswith('backbone.')]
    if other or result.unexpected_keys:
        raise OfficialCheckpointError(
            f'converted weights do not fit the config\'s model: {len(other)} missing non-backbone '
            f'key(s) {other[:20]}, {len(result.unexpected_keys)} unexpected key(s) '
            f'{sorted(result.unexpected_keys)[:20]}.')
    return CheckResult(loaded=sorted(state), missing_backbone=missing,
                       unused_prompt_encoder=unused)


def build_model_meta(model_cfg: dict, *, materialize: tuple[str, ...] = ('panoptic_head',)):
    """Build ``OMGSeg`` from a config's ``model`` on the meta device, without network or weight
    init, then give the top-level children in ``materialize`` real (uninitialised) CPU storage
    so that :func:`check_converted` can copy weights into them."""
    from omgseg.registry import MODELS

    with meta_build():
        model = MODELS.build(model_cfg)
    for name in materialize:
        getattr(model, name).to_empty(device='cpu')
    return model


def clip_backbone_state(model_name: str, pretrained: str) -> dict[str, torch.Tensor]:
    """``backbone.*`` weights read from an open_clip checkpoint (a local file or a pretrained
    tag, which open_clip may download), renamed as ``OpenCLIPBackbone.init_weights`` does and
    checked to cover every backbone key of ``model_name`` with the right shapes."""
    from open_clip.factory import load_state_dict

    from omgseg.models.backbones.clip_factory import resolve_clip_checkpoint
    from omgseg.models.backbones.openclip_backbone import _clip_to_backbone_key

    _, _, shapes = backbone_layout(model_name)
    path = resolve_clip_checkpoint(model_name, pretrained)
    state = {}
    for key, value in load_state_dict(path, device='cpu', weights_only=True).items():
        new = _clip_to_backbone_key(key)
        if new is not None:
            state['backbone.' + new] = value
    missing = [k for k in shapes if k not in state]
    extra = [k for k in state if k not in shapes]
    bad = [f'{k}: {tuple(v.shape)} vs {shapes[k]}' for k, v in state.items()
           if k in shapes and tuple(v.shape) != shapes[k]]
    if missing or extra or bad:
        raise OfficialCheckpointError(
            f'CLIP weights {path} do not fit {model_name}: missing {missing[:5]}, unexpected '
            f'{extra[:5]}, shapes {bad[:5]}. Check --model-name.')
    return state
