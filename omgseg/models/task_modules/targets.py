"""Ground-truth tubes of a clip: one per instance id (things) and one per stuff class."""
from __future__ import annotations

import torch
from mmdet.structures import DetDataSample

from omgseg.structures import IGNORE_INDEX


def _frame_masks(frame: DetDataSample, shape: tuple[int, int]) -> torch.Tensor:
    masks = frame.gt_instances.masks
    if hasattr(masks, 'to_tensor'):
        masks = masks.to_tensor(dtype=torch.bool, device=frame.gt_instances.labels.device)
    masks = masks.bool()
    if masks.shape[-2:] != shape:
        raise ValueError(f'gt mask size {tuple(masks.shape[-2:])} differs from the padded '
                         f'input size {shape}; the data preprocessor must pad masks.')
    return masks


def clip_targets(frames: list[DetDataSample], num_things: int, num_classes: int,
                 shape: tuple[int, int], device: torch.device,
                 use_stuff: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Tube targets of one clip.

    Things come from ``gt_instances`` (linked across frames by ``instances_ids``; an instance
    absent from a frame has an empty mask there); stuff from ``gt_sem_seg`` (one tube per stuff
    class present in any frame).

    Args:
        frames: the T frame samples of a clip, padded to ``shape``.
        num_things: labels below this are things; labels >= are stuff (< num_classes).
        num_classes: K.
        shape: padded (H, W).
        device: device of the returned tensors.
        use_stuff: add stuff tubes from the semantic maps.

    Returns:
        labels (N,) long, masks (N, T, H, W) bool.
    """
    t = len(frames)
    labels_of: dict[int, int] = {}
    masks_of: dict[int, torch.Tensor] = {}
    for f, frame in enumerate(frames):
        inst = frame.gt_instances
        labels = inst.labels.to(device)
        if 'instances_ids' in inst:
            ids = inst.instances_ids.tolist()
        else:
            if t > 1:
                raise ValueError('clips of several frames need gt_instances.instances_ids to '
                                 'link instances across frames.')
            ids = list(range(len(labels)))
        masks = _frame_masks(frame, shape).to(device) if len(labels) else None
        for j, (iid, label) in enumerate(zip(ids, labels.tolist())):
            if iid in labels_of and labels_of[iid] != label:
                raise ValueError(f'instance id {iid} changes class across the frames of a clip '
                                 f'({labels_of[iid]} -> {label}); check the annotations.')
            if label >= num_things:
                raise ValueError(f'gt_instances carries label {label}, which is not a thing '
                                 f'class (num_things={num_things}).')
            labels_of[iid] = label
            if iid not in masks_of:
                masks_of[iid] = torch.zeros((t, *shape), dtype=torch.bool, device=device)
            masks_of[iid][f] = masks[j]
    tube_labels = [labels_of[i] for i in masks_of]
    tube_masks = list(masks_of.values())
    if use_stuff and all('gt_sem_seg' in fr for fr in frames):
        sem = torch.stack([fr.gt_sem_seg.sem_seg[0].to(device) for fr in frames])  # (T, H, W)
        present = torch.unique(sem)
        for cls in present.tolist():
            if num_things <= cls < num_classes:
                tube_labels.append(cls)
                tube_masks.append(sem == cls)
            elif cls != IGNORE_INDEX and cls >= num_classes:
                raise ValueError(f'semantic map holds label {cls} >= num_classes {num_classes}.')
    if not tube_masks:
        return (torch.empty(0, dtype=torch.long, device=device),
                torch.empty((0, t, *shape), dtype=torch.bool, device=device))
    return (torch.as_tensor(tube_labels, dtype=torch.long, device=device),
            torch.stack(tube_masks))
