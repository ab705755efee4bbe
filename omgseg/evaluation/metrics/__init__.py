from .davis_metric import DAVISMetric
from .instance_metric import CocoMaskAPMetric
from .interactive_metric import InteractiveIoUMetric
from .panoptic_metric import PanopticQualityMetric
from .semantic_metric import SemanticIoUMetric
from .video_panoptic_metric import VideoPanopticMetric
from .ytvis_metric import YouTubeVISAPMetric

__all__ = ['DAVISMetric', 'CocoMaskAPMetric', 'InteractiveIoUMetric', 'PanopticQualityMetric',
           'SemanticIoUMetric', 'VideoPanopticMetric', 'YouTubeVISAPMetric']
