from .formatting import PackClipInputs
from .loading import LoadImageSafe, LoadPanopticAnnotationsPNG, rgb2id

__all__ = ['PackClipInputs', 'LoadImageSafe', 'LoadPanopticAnnotationsPNG', 'rgb2id']
