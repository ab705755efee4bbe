from .matcher import HungarianMatcher, class_probabilities
from .targets import clip_targets

__all__ = ['HungarianMatcher', 'class_probabilities', 'clip_targets']
