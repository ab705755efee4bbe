"""Overlays of segmentation results on RGB images (numpy in, numpy out; no model code),
and video / frame-folder reading and MP4 writing."""
from .draw import caption, draw_masks, label_anchor
from .instances import decode_masks, draw_instances
from .legend import LegendEntry, class_entries, draw_legend
from .palette import class_color, keyed_color, track_color
from .panoptic import draw_panoptic, segment_style
from .prompt_overlay import describe_prompt_result, draw_overlay
from .prompts import draw_prompts
from .semantic import draw_semantic
from .video_io import (FrameFolderReader, VideoReader, VideoWriter, open_frame_folder,
                       open_frames, open_video)
from .vos import draw_vos

__all__ = [
    'FrameFolderReader', 'LegendEntry', 'VideoReader', 'VideoWriter', 'caption', 'class_color',
    'class_entries', 'decode_masks', 'describe_prompt_result', 'draw_overlay', 'draw_instances', 'draw_legend', 'draw_masks',
    'draw_panoptic', 'draw_prompts', 'draw_semantic', 'draw_vos', 'keyed_color', 'label_anchor',
    'open_frame_folder', 'open_frames', 'open_video', 'segment_style', 'track_color',
]
