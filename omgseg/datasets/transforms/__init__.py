from .clip import ClipSample, ForEachFrame, ImageToClip
from .formatting import PackClipInputs
from .loading import LoadImageSafe, LoadPanopticAnnotationsPNG, rgb2id
from .prompts import SamplePrompts
from .video_loading import LoadDAVISAnnotations, LoadTrackInstances, LoadVIPSegAnnotations

__all__ = ['PackClipInputs', 'LoadImageSafe', 'LoadPanopticAnnotationsPNG', 'rgb2id',
           'ClipSample', 'ForEachFrame', 'ImageToClip', 'LoadTrackInstances',
           'LoadVIPSegAnnotations', 'LoadDAVISAnnotations', 'SamplePrompts']
