"""Inference over clips and long videos: clip planning, MinVIS tube linking, mask storage and
frame-wise post-processing."""
from .clip_plan import plan_clips, video_split
from .instance_score import MASK_SCORE_RULES, TubeMaskScore
from .mask_store import MaskStore
from .tube_linker import TubeLinker, link_queries
from .video_postprocessor import VideoPostprocessor, encode_rles

__all__ = ['plan_clips', 'video_split', 'MaskStore', 'TubeLinker', 'link_queries',
           'VideoPostprocessor', 'encode_rles', 'MASK_SCORE_RULES', 'TubeMaskScore']
