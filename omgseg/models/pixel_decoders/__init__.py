from .msdeform_pixel_decoder import OMGPixelDecoder

__all__ = ['OMGPixelDecoder']
