from .omgseg import OMGSeg

__all__ = ['OMGSeg']
