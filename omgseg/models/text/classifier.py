"""Cosine classifier against precomputed CLIP text embeddings (plus a zero void prototype)."""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from omgseg.models.layers.precision import at_least_fp32, full_precision
from omgseg.registry import MODELS
from omgseg.vocab.embedding_file import (check_class_names, check_unit_norm,
                                         load_class_embeddings, regen_hint)

#: The original's fixed temperature: a float32 buffer 4.6052 (ln 100 to 4 decimals) that is
#: exponentiated in float32, i.e. 100.00296..., not 100 (a 3e-5 relative gap in every logit).
ORIGINAL_LOGIT_SCALE = float(torch.tensor(4.6052, dtype=torch.float32).exp())


@MODELS.register_module()
class TextEmbeddingClassifier(nn.Module):
    """Logits ``logit_scale * max_p cos(x, e[k, p])`` for K classes plus a void column.

    The prototypes ``e`` ``(K, P, D)`` come from a class-embedding file (see
    ``tools/gen_class_embeddings.py``). A zero void prototype is appended, so the void logit is
    exactly 0 and the other logits lie in ``[-logit_scale, logit_scale]``. Nothing is read in
    ``__init__``; the file is read by :meth:`load` (also called by :meth:`init_weights` and
    lazily on the first :meth:`forward`). The prototypes are a non-persistent buffer: they are
    never stored in checkpoints, the file (checked against its sidecar) is the source.

    Args:
        embed_path: the ``.pth`` class-embedding file (its ``.json`` sidecar lies next to it).
        num_classes: K, the number of classes without void; must equal the file's K.
        logit_scale: fixed temperature, not learned (default :data:`ORIGINAL_LOGIT_SCALE`,
            the original's ``exp(4.6052)`` in float32).
        class_names: if given, the file's class names must equal these, in label order.
    """

    def __init__(self, *, embed_path: str, num_classes: int,
                 logit_scale: float = ORIGINAL_LOGIT_SCALE,
                 class_names: list[str] | None = None) -> None:
        super().__init__()
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f'num_classes must be a positive int, got {num_classes!r}.')
        if not logit_scale > 0:
            raise ValueError(f'logit_scale must be > 0, got {logit_scale!r}.')
        if class_names is not None and len(class_names) != num_classes:
            raise ValueError(f'class_names has {len(class_names)} entries but num_classes is '
                             f'{num_classes}.')
        self.embed_path = os.fspath(embed_path)
        self.num_classes = num_classes
        self.logit_scale = float(logit_scale)
        self.expected_class_names = list(class_names) if class_names is not None else None
        self.sidecar: dict[str, Any] | None = None
        self._class_names: list[str] | None = None
        # Placeholder; it follows .to()/.cuda() so load() knows the module's device.
        self.register_buffer('class_embed', torch.zeros(0), persistent=False)

    @property
    def is_loaded(self) -> bool:
        """Whether prototypes are in place (from the file or :meth:`set_embeddings`)."""
        return self.class_embed.dim() == 3

    @property
    def class_names(self) -> list[str] | None:
        """The K class names behind the prototypes (``None`` before loading)."""
        return self._class_names

    @property
    def embed_dim(self) -> int | None:
        """D of the prototypes (``None`` before loading)."""
        return self.class_embed.shape[-1] if self.is_loaded else None

    def _install(self, embeddings: torch.Tensor, device: torch.device | str | None) -> None:
        """Append the zero void prototype and store ``(K+1, P, D)`` on ``device``."""
        device = self.class_embed.device if device is None else device
        void = embeddings.new_zeros((1,) + tuple(embeddings.shape[1:]))
        self.class_embed = torch.cat([embeddings.float(), void]).to(device)

    def load(self, device: torch.device | str | None = None) -> None:
        """Read and check :attr:`embed_path`; the buffer goes to ``device`` or stays put.

        Raises:
            FileNotFoundError: the file or its sidecar is missing.
            ValueError: K differs from ``num_classes``, the names differ from ``class_names``
                or the file is inconsistent; the message names the file and the fix.
        """
        embeddings, sidecar = load_class_embeddings(self.embed_path)
        if embeddings.shape[0] != self.num_classes:
            raise ValueError(
                f'Class embeddings {self.embed_path} have {embeddings.shape[0]} classes but the '
                f'classifier has num_classes={self.num_classes}. The file was made for another '
                f'vocabulary. {regen_hint(self.embed_path)}')
        if self.expected_class_names is not None:
            check_class_names(self.embed_path, sidecar['class_names'],
                              self.expected_class_names)
        self._install(embeddings, device)
        self.sidecar = sidecar
        self._class_names = list(sidecar['class_names'])

    def check_class_names(self, class_names: Sequence[str],
                          source: str = 'the expected vocabulary') -> None:
        """Raise ``ValueError`` (naming the file, ``source`` and the fix) unless the loaded
        prototypes' class names equal ``class_names`` in label order; loads if needed."""
        if not self.is_loaded:
            self.load()
        check_class_names(self.embed_path if self.sidecar is not None else 'set_embeddings()',
                          self._class_names, class_names, source=source)

    def init_weights(self) -> None:
        """mmengine calls this on children in ``model.init_weights()``: read the file."""
        self.load()

    @contextlib.contextmanager
    def temporary_embeddings(self, embeddings: torch.Tensor,
                             class_names: Sequence[str]) -> Iterator[None]:
        """:meth:`set_embeddings` inside the block; the previous prototypes, class names and
        file bookkeeping come back afterwards, also when the block raises."""
        saved = {key: getattr(self, key) for key in
                 ('class_embed', 'num_classes', '_class_names', 'sidecar',
                  'expected_class_names')}
        try:
            self.set_embeddings(embeddings, class_names)
            yield
        finally:
            for key, value in saved.items():
                setattr(self, key, value)

    def set_embeddings(self, embeddings: torch.Tensor, class_names: Sequence[str]) -> None:
        """Swap in another vocabulary, e.g. a test vocabulary for open-vocabulary inference.

        Args:
            embeddings: ``(K', P', D)`` unit-norm prototypes (e.g. from
                ``compute_class_embeddings``); D must match the loaded prototypes, if any.
            class_names: the K' names in label order.

        ``num_classes`` becomes K', so :meth:`forward` then returns ``K'+1`` logits.
        """
        if not isinstance(embeddings, torch.Tensor) or embeddings.dim() != 3:
            raise ValueError('set_embeddings: embeddings must be a (K, P, D) tensor, got '
                             f'{getattr(embeddings, "shape", type(embeddings))}.')
        class_names = [str(n) for n in class_names]
        if len(class_names) != embeddings.shape[0]:
            raise ValueError(f'set_embeddings: {embeddings.shape[0]} embedding rows but '
                             f'{len(class_names)} class names.')
        if self.is_loaded and embeddings.shape[-1] != self.embed_dim:
            raise ValueError(f'set_embeddings: embed dim {embeddings.shape[-1]} != '
                             f'{self.embed_dim} of the current prototypes (another CLIP?).')
        check_unit_norm(embeddings.detach(), 'set_embeddings')
        self._install(embeddings.detach(), None)
        self.num_classes = len(class_names)
        self._class_names = class_names
        self.expected_class_names = None
        self.sidecar = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Classify feature vectors.

        Args:
            x: ``(..., D)`` query embeddings in CLIP space (need not be normalised).

        Returns:
            ``(..., K+1)`` logits; column K (void) is exactly 0.
        """
        if not self.is_loaded:
            self.load(device=x.device)
        embed = self.class_embed                                     # (K+1, P, D)
        if x.shape[-1] != embed.shape[-1]:
            raise ValueError(f'TextEmbeddingClassifier: input dim {x.shape[-1]} != embedding '
                             f'dim {embed.shape[-1]} of {self.embed_path}.')
        # The cosine in float32 under bf16 / fp16 autocast: x100 temperature turns bf16's
        # 3e-3 relative error of a cosine into logit errors of 0.3.
        with full_precision(x.device):
            x = F.normalize(at_least_fp32(x), dim=-1)
            cos = torch.einsum('...d,kpd->...kp', x, embed.to(x.dtype))  # (..., K+1, P)
            return self.logit_scale * cos.amax(dim=-1)

    def extra_repr(self) -> str:
        return (f'embed_path={self.embed_path!r}, num_classes={self.num_classes}, '
                f'logit_scale={self.logit_scale}, loaded={self.is_loaded}')
