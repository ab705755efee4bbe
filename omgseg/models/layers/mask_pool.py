"""Average pooling of features inside binary masks (the classifier's query descriptor)."""
import torch


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
    denom = binary.sum(dim=(-3, -2, -1)).clamp(min=1.0)  # (B, Q); 1 avoids 0/0 for empty masks
    pooled = torch.einsum('bqthw,btchw->bqc', binary, features)
    return pooled / denom[..., None]
