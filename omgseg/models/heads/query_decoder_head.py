"""The shared query decoder: masked-attention transformer over a clip's pixel features.

Queries (learned object queries, or encoded prompts) predict one *tube* mask each over the T
frames of a clip, a class distribution from CLIP text embeddings, and an objectness logit.
An image is a clip of one frame; there is no separate image path.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from mmdet.models.layers import (Mask2FormerTransformerDecoder, SinePositionalEncoding,
                                 SinePositionalEncoding3D)
from mmengine.model import BaseModule, caffe2_xavier_init
from torch import nn

from omgseg.models.layers import (MaskWindow, SpatialAttentionPrior, build_mlp, check_compile,
                                  check_with_cp, checkpoint_layers, compile_layers, mask_pool)
from omgseg.models.text.classifier import ORIGINAL_LOGIT_SCALE
from omgseg.registry import MODELS
from omgseg.vocab import vocabulary_from


def _class_counts(num_things: int | None, num_stuff: int | None,
                  vocabulary: str | dict | None) -> tuple[int, int, list[str] | None]:
    """(things, stuff, class names or None) from the counts or from a vocabulary spec."""
    if vocabulary is None:
        if num_things is None or num_stuff is None:
            raise ValueError('panoptic_head needs `vocabulary` or both num_things_classes and '
                             'num_stuff_classes.')
        return num_things, num_stuff, None
    vocab = vocabulary_from(dict(vocabulary) if not isinstance(vocabulary, str) else vocabulary)
    things, stuff = len(vocab['thing_classes']), len(vocab['stuff_classes'])
    for key, given, derived in (('num_things_classes', num_things, things),
                                ('num_stuff_classes', num_stuff, stuff)):
        if given is not None and given != derived:
            raise ValueError(f'panoptic_head.{key}={given} but its `vocabulary` has {derived}; '
                             f'give the vocabulary only (the counts follow from it).')
    return things, stuff, list(vocab['classes'])


@MODELS.register_module()
class OMGQueryHead(BaseModule):
    """Pixel decoder + 9-layer masked-attention decoder + mask / class / objectness heads.

    Module names follow the released OMG-Seg checkpoints (``pixel_decoder``,
    ``transformer_decoder``, ``query_feat``, ``query_embed``, ``level_embed``, ``mask_embed``,
    ``iou_embed``, ``cls_proj``, ``mask_pooling_proj``).

    Args:
        in_channels: backbone channels per level, e.g. [192, 384, 768, 1536].
        feat_channels: decoder width (256).
        num_queries: learned object queries (300).
        num_things_classes / num_stuff_classes: vocabulary split; labels are things first.
        vocabulary: instead of the two counts, the vocabulary itself (a name, an explicit dict
            or ``dict(merge=[...])``, the merged vocabulary of co-training): the counts are
            computed from it and the embedding file's class names must equal its classes.
        clip_dim: CLIP embedding dimension D of the class embeddings (768 for ConvNeXt-L).
        class_embed_path: ``.pth`` file written by ``tools/gen_class_embeddings.py``.
        pixel_decoder: config of :class:`OMGPixelDecoder`.
        transformer_decoder: config of mmdet's ``Mask2FormerTransformerDecoder``.
        num_transformer_feat_level: memory levels cycled through by the decoder layers (3).
        level_cycle: the memory level (0 = coarsest, stride 32) each decoder layer attends to,
            repeated over the layers; ``None`` is the original's coarse-to-fine ``(0, 1, 2)``.
            On small images the coarsest level is a few cells (4 x 4 at 128 px), where a small
            object is part of one cell mostly covered by its surroundings; ``(2, 1, 0)`` lets
            the first layer of a query, and of a point prompt, see it at stride 8 first.
        positional_encoding: config of the 3D sine encoding of the memory.
        logit_scale: fixed temperature of the cosine classifier (the original's
            ``exp(4.6052)`` = 100.003 in float32).
        prompt_encoder: optional :class:`PromptEncoder` config (interactive task): points and
            boxes become queries of this decoder.
        mask_prompt_first_layer: mask the first cross-attention of prompt queries with their
            initial prediction, as OMG-Seg does. That prediction comes from the prompts' shared
            content alone (their position enters only through attention), so it is the same
            for every prompt; where it covers large regions (stuff), the first layer cannot see
            a prompted thing at all. ``False`` lets that layer attend everywhere (the toy
            co-training job uses it; the released checkpoints were trained with ``True``).
        pixel_pos_encoding: optional config of mmdet's 2D ``SinePositionalEncoding`` (its
            ``num_feats`` defaults to ``feat_channels // 2``): the encoding of every pixel's
            position, through learned 1x1 projections initialised to zero (one per memory level
            and one for the mask features), is added to the pixel decoder's outputs. A frozen
            backbone's features hardly carry where they are, so neither do the queries that
            attend to them, and two objects of one class then share one mask; this gives
            queries and mask features absolute position (as CoordConv / SOLO do). ``None`` (the
            original) adds nothing; the toy co-training job uses it.
        spatial_prior: optional ``dict(sigma=..., anchors=...)``: a Gaussian bias on every
            cross-attention logit around a reference point per query
            (:class:`SpatialAttentionPrior`): the prompt for prompts (``query_ref``) and, with
            ``anchors``, learned anchors for the object queries. Without it a point prompt's
            query learns only slowly to look at the thing under the point. ``None`` (the
            original) adds nothing; the toy co-training job uses it for prompts.
        mask_window: optional ``dict(sigma=...)``: every query predicts, in every prediction
            set, where its object is and how far it reaches, and a Gaussian window there is
            added to its mask logits (:class:`MaskWindow`; reference points: learned anchors
            for object queries, ``query_ref`` for prompts). A mask is otherwise a dot product
            with pixel features that two objects of one class nearly share, and one query
            then covers both. ``None`` (the original) adds nothing.
        with_cp: activation checkpointing in training of every transformer-decoder layer and,
            unless ``pixel_decoder.with_cp`` says otherwise, of the pixel decoder's encoder
            layers (less memory for about one more forward of them; same gradients).
        compile_decoder: ``torch.compile`` every transformer-decoder layer (``True`` or a dict
            of ``torch.compile`` keywords; compiled at their first call). Off by default:
            whether it pays depends on the device and the sizes (``benchmark_train.py
            --compile`` measures it).
        init_cfg: mmengine init config.
    """

    def __init__(self, *, in_channels: list[int], feat_channels: int = 256,
                 num_queries: int = 300, num_things_classes: int | None = None,
                 num_stuff_classes: int | None = None, vocabulary: str | dict | None = None,
                 clip_dim: int, class_embed_path: str, pixel_decoder: dict,
                 transformer_decoder: dict, num_transformer_feat_level: int = 3,
                 level_cycle: tuple[int, ...] | list[int] | None = None,
                 positional_encoding: dict | None = None,
                 logit_scale: float = ORIGINAL_LOGIT_SCALE,
                 prompt_encoder: dict | None = None, mask_prompt_first_layer: bool = True,
                 pixel_pos_encoding: dict | None = None, spatial_prior: dict | None = None,
                 mask_window: dict | None = None, with_cp: bool = False,
                 compile_decoder: bool | dict = False, init_cfg: dict | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        num_things_classes, num_stuff_classes, class_names = _class_counts(
            num_things_classes, num_stuff_classes, vocabulary)
        self.num_things_classes = num_things_classes
        self.num_stuff_classes = num_stuff_classes
        self.num_classes = num_things_classes + num_stuff_classes
        self.num_queries = num_queries
        self.num_levels = num_transformer_feat_level
        self.level_cycle = tuple(range(num_transformer_feat_level) if level_cycle is None
                                 else level_cycle)
        if not self.level_cycle or any(not 0 <= lvl < num_transformer_feat_level
                                       for lvl in self.level_cycle):
            raise ValueError(f'panoptic_head.level_cycle must list memory levels in '
                             f'0..{num_transformer_feat_level - 1}, got {level_cycle!r}.')
        pixel_decoder = dict(pixel_decoder, in_channels=in_channels,
                             feat_channels=feat_channels, out_channels=feat_channels)
        self.with_cp = check_with_cp(with_cp, 'panoptic_head')
        if with_cp:
            pixel_decoder.setdefault('with_cp', True)
        self.pixel_decoder = MODELS.build(pixel_decoder)
        self.transformer_decoder = Mask2FormerTransformerDecoder(**transformer_decoder)
        if self.with_cp:
            checkpoint_layers(self.transformer_decoder.layers)
        compile_opts = check_compile(compile_decoder, 'panoptic_head.compile_decoder')
        if compile_opts is not None:
            compile_layers(self.transformer_decoder.layers, compile_opts)
        self.num_heads = self.transformer_decoder.layers[0].cross_attn.num_heads
        # Identity projections keep the original's (empty) ``decoder_input_projs`` keys.
        self.decoder_input_projs = nn.ModuleList(
            [nn.Identity() for _ in range(num_transformer_feat_level)])
        pos_cfg = dict(num_feats=feat_channels // 2, normalize=True)
        pos_cfg.update(positional_encoding or {})
        self.decoder_positional_encoding = SinePositionalEncoding3D(**pos_cfg)
        self.pixel_pos_encoding = self.pixel_pos_projs = None
        if pixel_pos_encoding is not None:
            pix_cfg = dict(num_feats=feat_channels // 2, normalize=True)
            pix_cfg.update(pixel_pos_encoding)
            try:
                self.pixel_pos_encoding = SinePositionalEncoding(**pix_cfg)
            except TypeError as err:  # an unknown keyword: name the setting, not mmdet's class
                raise ValueError(
                    f'panoptic_head.pixel_pos_encoding={pixel_pos_encoding!r}: {err}; it takes '
                    f"the keywords of mmdet's SinePositionalEncoding (num_feats, temperature, "
                    f'normalize, scale, eps, offset).') from err
            self.pixel_pos_projs = nn.ModuleList(
                nn.Conv2d(2 * pix_cfg['num_feats'], feat_channels, 1)
                for _ in range(num_transformer_feat_level + 1))
        self.spatial_prior = None
        if spatial_prior is not None:
            try:
                self.spatial_prior = SpatialAttentionPrior(num_queries=num_queries,
                                                           **spatial_prior)
            except TypeError as err:  # an unknown keyword: name the setting
                raise ValueError(f'panoptic_head.spatial_prior={spatial_prior!r}: {err}; it '
                                 f'takes sigma and anchors.') from err
        self.mask_window = None
        if mask_window is not None:
            try:
                self.mask_window = MaskWindow(feat_channels=feat_channels,
                                              num_queries=num_queries, **mask_window)
            except TypeError as err:  # an unknown keyword: name the setting
                raise ValueError(f'panoptic_head.mask_window={mask_window!r}: {err}; it takes '
                                 f'sigma.') from err
        self.query_embed = nn.Embedding(num_queries, feat_channels)
        self.query_feat = nn.Embedding(num_queries, feat_channels)
        self.level_embed = nn.Embedding(num_transformer_feat_level, feat_channels)
        self.mask_embed = build_mlp(feat_channels, feat_channels, feat_channels)
        self.iou_embed = build_mlp(feat_channels, feat_channels, 1)
        self.cls_proj = build_mlp(feat_channels, feat_channels, clip_dim)
        self.mask_pooling_proj = nn.Sequential(nn.LayerNorm(feat_channels),
                                               nn.Linear(feat_channels, feat_channels))
        self.mask_prompt_first_layer = mask_prompt_first_layer
        self.prompt_encoder = (MODELS.build(dict(prompt_encoder, feat_channels=feat_channels))
                               if prompt_encoder else None)
        self.classifier = MODELS.build(dict(type='TextEmbeddingClassifier',
                                            embed_path=class_embed_path,
                                            num_classes=self.num_classes,
                                            class_names=class_names,
                                            logit_scale=logit_scale))

    def init_weights(self) -> None:
        """Initialise children (pixel decoder, classifier: reads the embedding file), then
        Xavier-initialise the decoder as Mask2Former does."""
        super().init_weights()
        for p in self.transformer_decoder.parameters():
            if p.dim() > 1:
                nn.init.xavier_normal_(p)
        for m in self.decoder_input_projs:
            if isinstance(m, nn.Conv2d):
                caffe2_xavier_init(m, bias=0)
        # zero: training starts from the plain pixel decoder and learns how much position to add
        for m in self.pixel_pos_projs or ():
            nn.init.zeros_(m.weight)
            nn.init.zeros_(m.bias)

    def _add_pixel_pos(self, maps: list[torch.Tensor]) -> list[torch.Tensor]:
        """``maps`` (N, C, h_i, w_i), memories then mask features, plus their projected
        position encodings (see ``pixel_pos_encoding``)."""
        out = []
        for proj, x in zip(self.pixel_pos_projs, maps):
            pos = self.pixel_pos_encoding(x.new_zeros((1, *x.shape[-2:]), dtype=torch.bool))
            out.append(x + proj(pos.to(x.dtype)))
        return out

    def encode_prompts(self, boxes: torch.Tensor, kinds: torch.Tensor,
                       shapes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Prompts as decoder queries.

        Args:
            boxes: (B, P, 4) xyxy pixels of the unpadded images.
            kinds: (B, P) prompt kinds.
            shapes: (B, 2) image (h, w).

        Returns:
            content and positional queries (B, P, C) each and the self-attention mask
            (B * nH, P, P), True = not attended, that leaves each prompt only itself.
        """
        if self.prompt_encoder is None:
            raise ValueError('interactive samples need model.panoptic_head.prompt_encoder '
                             "(e.g. dict(type='PromptEncoder')).")
        return self.prompt_encoder(boxes, kinds, shapes, self.num_heads)

    def unused_parameters_term(self, *, prompted: bool) -> torch.Tensor | None:
        """0 x the parameters a batch does not use, so that DDP sees every parameter take part
        whichever batch kind (object queries or prompts) a rank draws.

        Args:
            prompted: the batch decodes prompts (the learned object queries are unused);
                otherwise it decodes the object queries (the prompt encoder is unused).

        Returns:
            a zero scalar in the graph, or ``None`` when nothing is unused.
        """
        if prompted:
            unused = self.query_feat.weight.sum() + self.query_embed.weight.sum()
            if self.spatial_prior is not None and self.spatial_prior.anchors is not None:
                unused = unused + self.spatial_prior.anchors.weight.sum()
            if self.mask_window is not None:
                unused = unused + self.mask_window.anchors.weight.sum()
            return unused * 0.0
        if self.prompt_encoder is None:
            return None
        return sum(p.sum() for p in self.prompt_encoder.parameters()) * 0.0

    def _prediction(self, query: torch.Tensor, mask_features: torch.Tensor,
                    attn_size: tuple[int, int],
                    window_ref: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Mask predictions from the current queries (the class heads run in :meth:`_classify`).

        Args:
            query: (B, Q, C) decoder state.
            mask_features: (B, T, C, H, W) stride-4 pixel features.
            attn_size: (h, w) of the memory level the next layer attends to.
            window_ref: with ``mask_window``, the queries' reference points (B, Q, 2).

        Returns:
            dict with ``mask`` (B, Q, T, H, W) logits, ``attn_mask`` (B * nH, Q, T * h * w)
            bool (True = not attended), ``query`` and, for :meth:`_classify`, the normed
            queries ``out`` and mask-pooled features ``pooled`` (B, Q, C).
        """
        out = self.transformer_decoder.post_norm(query)
        mask = torch.einsum('bqc,btchw->bqthw', self.mask_embed(out), mask_features)
        if window_ref is not None:
            mask = mask + self.mask_window(out, window_ref, mask.shape[-2:], mask.shape[2])
        pooled = mask_pool(mask_features, mask.detach())                       # (B, Q, C)
        b, q, t, h, w = mask.shape
        small = F.interpolate(mask.detach().flatten(0, 2)[:, None], size=attn_size,
                              mode='bilinear', align_corners=False)
        attn_mask = small.view(b, 1, q, t * attn_size[0] * attn_size[1]).sigmoid() < 0.5
        attn_mask = attn_mask.expand(b, self.num_heads, q, -1).flatten(0, 1)
        # A query whose mask covers nothing would attend to nothing (NaN); let it see all.
        attn_mask = attn_mask & ~attn_mask.all(dim=-1, keepdim=True)
        return dict(mask=mask, attn_mask=attn_mask, query=query, out=out, pooled=pooled)

    def _classify(self, preds: list[dict[str, torch.Tensor]]) -> None:
        """Add ``cls`` (B, Q, K+1) and ``obj`` (B, Q) logits to every prediction set.

        The class and objectness heads do not feed the next layer, so they run once over all
        sets stacked along the batch: one call of each small MLP instead of one per set, which
        in training also means one weight gradient each instead of ten added up.
        """
        out = torch.cat([p.pop('out') for p in preds])                          # (S*B, Q, C)
        pooled = torch.cat([p.pop('pooled') for p in preds])
        cls = self.classifier(self.cls_proj(self.mask_pooling_proj(pooled) + out))
        obj = self.iou_embed(out).squeeze(-1)
        for p, cls_i, obj_i in zip(preds, cls.chunk(len(preds)), obj.chunk(len(preds))):
            p['cls'], p['obj'] = cls_i, obj_i

    def forward(self, feats: list[torch.Tensor], num_frames: int,
                queries: tuple[torch.Tensor, torch.Tensor] | None = None,
                self_attn_mask: torch.Tensor | None = None,
                query_ref: torch.Tensor | None = None) -> list[dict[str, torch.Tensor]]:
        """Run the decoder on a batch of clips.

        Args:
            feats: backbone maps (B*T, C_i, H_i, W_i), frames of a clip contiguous.
            num_frames: T.
            queries: optional (content, positional) queries (B, Q', C) each, e.g. encoded
                prompts; the learned object queries are used when ``None``.
            self_attn_mask: optional (B*nH, Q', Q') bool, True = not attended.
            query_ref: with ``spatial_prior`` or ``mask_window``, the reference points
                (B, Q', 2) (x, y) of ``queries`` normalised to the padded input; required with
                either.

        Returns:
            One prediction dict per set (before the first layer and after each layer, 10 for
            9 layers): ``cls``, ``obj`` (:meth:`_classify`), ``mask``, ``attn_mask`` and
            ``query`` (:meth:`_prediction`).
        """
        mask_features, memories = self.pixel_decoder(feats)
        if self.pixel_pos_projs is not None:
            *memories, mask_features = self._add_pixel_pos([*memories, mask_features])
        bt, c, hm, wm = mask_features.shape
        b, t = bt // num_frames, num_frames
        mask_features = mask_features.view(b, t, c, hm, wm)
        keys, key_pos, sizes = [], [], []
        for i in range(self.num_levels):
            mem = self.decoder_input_projs[i](memories[i])
            h, w = mem.shape[-2:]
            mem = mem.view(b, t, c, h, w)
            pos = self.decoder_positional_encoding(mem.new_zeros((b, t, h, w), dtype=torch.bool))
            # (B, T, C, h, w) -> (B, T*h*w, C): memory attention spans every frame.
            keys.append(mem.permute(0, 1, 3, 4, 2).reshape(b, t * h * w, c)
                        + self.level_embed.weight[i][None, None])
            key_pos.append(pos.permute(0, 1, 3, 4, 2).reshape(b, t * h * w, c))
            sizes.append((h, w))
        if queries is None:
            query = self.query_feat.weight[None].expand(b, -1, -1)
            query_pos = self.query_embed.weight[None].expand(b, -1, -1)
        else:
            query, query_pos = queries
        if queries is not None and query_ref is None:
            for name in ('spatial_prior', 'mask_window'):
                if getattr(self, name) is not None:
                    raise ValueError(f'panoptic_head.{name} needs the reference points of '
                                     f'given queries (query_ref); pass them with the queries.')
        window_ref = None
        if self.mask_window is not None:
            window_ref = self.mask_window.anchor_points(b) if queries is None else query_ref
        prior, biases = self.spatial_prior, None
        if prior is not None:
            ref = prior.anchor_points(b) if queries is None else query_ref
            if ref is not None:
                biases = [prior.bias(ref, size, t, self.num_heads) for size in sizes]
        cycle = self.level_cycle
        preds = [self._prediction(query, mask_features, sizes[cycle[0]], window_ref)]
        for i, layer in enumerate(self.transformer_decoder.layers):
            lvl = cycle[i % len(cycle)]
            attn_mask = preds[-1]['attn_mask']
            if i == 0 and queries is not None and not self.mask_prompt_first_layer:
                attn_mask = torch.zeros_like(attn_mask)
            if biases is not None:
                attn_mask = prior.with_mask(biases[lvl], attn_mask, query.dtype)
            query = layer(query=query, key=keys[lvl], value=keys[lvl], query_pos=query_pos,
                          key_pos=key_pos[lvl], cross_attn_mask=attn_mask,
                          self_attn_mask=self_attn_mask, key_padding_mask=None)
            preds.append(self._prediction(query, mask_features,
                                          sizes[cycle[(i + 1) % len(cycle)]], window_ref))
        self._classify(preds)
        return preds
