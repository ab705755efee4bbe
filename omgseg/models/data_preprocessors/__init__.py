from .clip_preprocessor import ClipDataPreprocessor

__all__ = ['ClipDataPreprocessor']
