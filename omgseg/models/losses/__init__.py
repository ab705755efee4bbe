from .criterion import OMGCriterion

__all__ = ['OMGCriterion']
