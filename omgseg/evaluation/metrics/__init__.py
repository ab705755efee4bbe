from .instance_metric import CocoMaskAPMetric
from .panoptic_metric import PanopticQualityMetric
from .semantic_metric import SemanticIoUMetric

__all__ = ['CocoMaskAPMetric', 'PanopticQualityMetric', 'SemanticIoUMetric']
