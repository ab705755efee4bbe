from .panoptic_overlay import draw_panoptic, segment_color

__all__ = ['draw_panoptic', 'segment_color']
