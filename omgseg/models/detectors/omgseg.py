"""The OMG-Seg meta-architecture: backbone -> query decoder head -> task handlers.

The detector owns the shared network and nothing task-specific: each sample carries a ``task``
and :data:`TASK_HANDLERS` names the handler (``omgseg.models.tasks``) that trains and predicts
it. The model never looks at dataset names.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator

import torch
from mmdet.models.detectors.base import BaseDetector

from omgseg.models.tasks import (ClassScorer, InteractiveTask, ObjectQueryTask, TaskContext,
                                 InferenceSettings, VOSTask)
from omgseg.registry import MODELS
from omgseg.structures import TASK_PANOPTIC, TASKS

# task group -> how its handler is made from the test settings
_HANDLER_FACTORIES = {
    ObjectQueryTask: lambda s: ObjectQueryTask(objects=s.objects, clips=s.clips),
    InteractiveTask: lambda s: InteractiveTask(settings=s.interactive),
    VOSTask: lambda s: VOSTask(vos=s.vos, clips=s.clips),
}
# every task a sample may carry -> the handler class serving it
TASK_HANDLERS = {task: kind for kind in _HANDLER_FACTORIES for task in kind.tasks}


@MODELS.register_module()
class OMGSeg(BaseDetector):
    """One model for every segmentation task; inputs are always clips ``(B, T, 3, H, W)``.

    Args:
        backbone: :class:`OpenCLIPBackbone` config.
        panoptic_head: :class:`OMGQueryHead` config.
        criterion: :class:`OMGCriterion` config (``num_classes`` is filled in).
        data_preprocessor: :class:`ClipDataPreprocessor` config.
        test_cfg: test settings by section (``objects``, ``clips``, ``vos``, ``interactive``,
            ``open_vocab``; see :mod:`omgseg.models.tasks.settings`), checked here.
        train_cfg: unused, kept for mmdet's interface.
        init_cfg: mmengine init config.
    """

    def __init__(self, *, backbone: dict, panoptic_head: dict, criterion: dict | None = None,
                 data_preprocessor: dict | None = None, test_cfg: dict | None = None,
                 train_cfg: dict | None = None, init_cfg: dict | None = None) -> None:
        if isinstance(data_preprocessor, dict):
            # built from mmdet's registry so no default scope is needed outside a Runner
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.panoptic_head = MODELS.build(dict(panoptic_head,
                                               in_channels=self.backbone.out_channels,
                                               clip_dim=self.backbone.clip_dim))
        self.criterion = MODELS.build(dict(criterion or dict(type='OMGCriterion'),
                                           num_classes=self.panoptic_head.num_classes))
        self.train_cfg = train_cfg
        self._configure(InferenceSettings.from_cfg(test_cfg),
                        self.panoptic_head.num_things_classes)

    def _configure(self, settings: InferenceSettings, num_things: int) -> None:
        """Make the handlers and the class scorer for ``settings`` and a vocabulary whose
        first ``num_things`` classes are things."""
        self.test_settings = settings
        self.handlers = {kind: make(settings) for kind, make in _HANDLER_FACTORIES.items()}
        self.scorer = ClassScorer(classifier=self.panoptic_head.classifier, clip=self.backbone,
                                  num_things=num_things, open_vocab=settings.open_vocab)

    @property
    def num_things(self) -> int:
        """Thing classes of the vocabulary in use (things come first)."""
        return self.scorer.num_things

    @property
    def num_classes(self) -> int:
        """Classes of the vocabulary in use."""
        return self.panoptic_head.classifier.num_classes

    @contextlib.contextmanager
    def evaluation_setting(self, *, test_cfg: dict | None = None,
                           class_embeddings: torch.Tensor | None = None,
                           class_names: list[str] | None = None,
                           num_things: int | None = None) -> Iterator[None]:
        """Inside the block, use ``test_cfg`` sections merged over the current settings and,
        optionally, another vocabulary; everything is restored afterwards.

        Args:
            test_cfg: sections to override (checked like ``model.test_cfg``).
            class_embeddings: (K, P, D) unit-norm text prototypes of the vocabulary.
            class_names: its K class names, things first.
            num_things: thing classes of that vocabulary (all K when ``None``).
        """
        if (class_embeddings is None) != (class_names is None):
            raise ValueError('evaluation_setting: give class_embeddings and class_names '
                             'together.')
        if num_things is not None and not (class_names is not None
                                           and 0 <= num_things <= len(class_names)):
            raise ValueError(f'evaluation_setting: num_things={num_things} needs class_names '
                             f'with at least that many classes (things come first).')
        saved = (self.test_settings, self.num_things)
        settings = self.test_settings.merged(test_cfg)
        try:
            with contextlib.ExitStack() as stack:
                things = saved[1]
                if class_embeddings is not None:
                    device = next(self.parameters()).device
                    stack.enter_context(self.panoptic_head.classifier.temporary_embeddings(
                        class_embeddings.to(device), list(class_names)))
                    things = len(class_names) if num_things is None else num_things
                self._configure(settings, things)
                yield
        finally:
            self._configure(*saved)

    # -- features --------------------------------------------------------------------------
    def extract_feat(self, inputs: torch.Tensor) -> list[torch.Tensor]:
        """Args: inputs (B, T, 3, H, W) normalised float, or uint8 streamed from host memory.
        Returns 4 maps (B*T, C_i, H/s_i, W/s_i)."""
        if inputs.dim() != 5:
            raise ValueError(f'OMGSeg expects clips (B, T, 3, H, W), got {tuple(inputs.shape)}; '
                             f'use ClipDataPreprocessor.')
        if inputs.dtype == torch.uint8:
            inputs = self.data_preprocessor.normalize(inputs)
        return list(self.backbone(inputs.flatten(0, 1)))

    def task_context(self) -> TaskContext:
        """The shared network and class scoring as the task handlers use them."""
        return TaskContext(features=self.extract_feat, head=self.panoptic_head,
                           criterion=self.criterion, scorer=self.scorer)

    def _forward(self, inputs: torch.Tensor, data_samples=None) -> list[dict]:
        return self.panoptic_head(self.extract_feat(inputs), inputs.shape[1])

    def _handler(self, data_samples: list, mode: str):
        """The one handler serving every sample of the batch."""
        tasks = {s.metainfo.get('task') for s in data_samples}
        unknown = tasks - set(TASK_HANDLERS)
        if unknown:
            raise ValueError(f'task(s) {sorted(map(str, unknown))} are not known to OMGSeg; '
                             f'samples must carry one of {list(TASKS)} (PackClipInputs(task=)).')
        kinds = {TASK_HANDLERS[t] for t in tasks}
        if len(kinds) > 1:
            raise ValueError(f'a {mode} batch mixes tasks {sorted(tasks)} served by different '
                             f'handlers (object queries, prompts, VOS); use train_dataloader.'
                             f"batch_sampler=dict(type='TaskBatchSampler') in training and "
                             f'evaluate them separately.')
        return self.handlers[kinds.pop()]

    # -- training and inference ------------------------------------------------------------
    def loss(self, inputs: torch.Tensor, data_samples: list) -> dict[str, torch.Tensor]:
        """Args: inputs (B, T, 3, H, W); data_samples: B ``TrackDataSample``s with a ``task``."""
        return self._handler(data_samples, 'training').loss(self.task_context(), inputs,
                                                            data_samples)

    @torch.no_grad()
    def predict(self, inputs: torch.Tensor, data_samples: list, rescale: bool = True) -> list:
        """Attach predictions to every frame of every clip (images are clips of one frame).

        Per frame, by task: object queries give ``pred_panoptic_seg`` (segment ids, 0 = void,
        with ``segments_info`` in its metainfo; a thing's id is its query + 1, the same object
        in every frame), ``pred_sem_seg`` and ``pred_instances`` (video-level scores and
        labels, this frame's masks as bool ``masks`` or as ``masks_rle``), and per clip
        ``pred_track_instances`` (``scores``, ``labels``, ``instances_id`` and, with RLE masks,
        ``masks_rle``: N lists of T RLEs). Interactive samples get ``pred_prompt_masks`` (one
        mask per prompt); ``vos`` samples get ``pred_vos_seg``: object ids (0 = background)
        following the first frame's ``gt_instances``.

        Args:
            inputs: (B, T, 3, H, W) normalised float, or (1, T, 3, H, W) uint8 for a long
                video streamed clip by clip (see ClipDataPreprocessor).
            data_samples: B ``TrackDataSample``s with T frames each.
        """
        return self._handler(data_samples, 'test').predict(self.task_context(), inputs,
                                                           data_samples, rescale)

    @torch.no_grad()
    def predict_video(self, frames: Iterable[torch.Tensor], *, num_frames: int, meta: dict,
                      sink: Callable[[int, dict], None], rescale: bool = True) -> dict:
        """Stream a video of any length through the object queries without holding its
        frames; see :meth:`ObjectQueryTask.predict_video`."""
        return self.handlers[TASK_HANDLERS[TASK_PANOPTIC]].predict_video(
            self.task_context(), frames, num_frames=num_frames, meta=meta, sink=sink,
            rescale=rescale)


__all__ = ['OMGSeg', 'TASK_HANDLERS']
