"""Average pooling of features inside binary masks (the classifier's query descriptor)."""
import torch

# the original divides the binary mask by (area + 1e-8) before pooling; doing the same
# arithmetic in the same order keeps the pooled features, and through the x100 cosine
# classifier the logits, equal to the original's to float rounding
_EPS = 1e-8


def mask_pool(features: torch.Tensor, mask_logits: torch.Tensor) -> torch.Tensor:
    """Average the features of each query over the pixels where its mask logit is positive.

    Args:
        features: (B, T, C, H, W) pixel features of a clip.
        mask_logits: (B, Q, T, h, w) mask logits; resized to (H, W) if they differ.

    Returns:
        (B, Q, C); zeros for a query whose mask is empty (no positive pixel).
    """
    b, t, c, h, w = features.shape
    if mask_logits.shape[-2:] != (h, w):
        q = mask_logits.shape[1]
        mask_logits = torch.nn.functional.interpolate(
            mask_logits.flatten(0, 1), size=(h, w), mode='bilinear',
            align_corners=False).view(b, q, t, h, w)
    binary = (mask_logits > 0).to(features.dtype)
    weights = binary / (binary.sum(dim=(-3, -2, -1), keepdim=True) + _EPS)
    # frames stacked along H ("film"), the layout the original contracts in
    film = features.transpose(1, 2).reshape(b, c, t * h, w)
    return torch.einsum('bchw,bqhw->bqc', film, weights.flatten(2, 3))
