from .query_decoder_head import OMGQueryHead

__all__ = ['OMGQueryHead']
