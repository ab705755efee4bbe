from .panoptic_overlay import draw_panoptic, segment_color
from .prompt_overlay import describe_prompt_result, draw_overlay

__all__ = ['draw_panoptic', 'segment_color', 'draw_overlay', 'describe_prompt_result']
