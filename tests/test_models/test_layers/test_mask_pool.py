"""mask_pool: average of a clip's features inside each query's positive mask (hand values)."""
import torch

from omgseg.models.layers import mask_pool


def test_average_inside_the_tube():
    # (B=1, T=2, C=2, 2, 2): channel 0 counts pixels 0..7 over the clip, channel 1 is 10x that
    count = torch.arange(8.0).view(2, 2, 2)
    features = torch.stack([count, 10 * count], dim=1)[None]
    logits = torch.full((1, 2, 2, 2, 2), -1.0)
    logits[0, 0, 0, 0, 0] = 2.0           # query 0: frame 0 pixel (0, 0) -> count 0
    logits[0, 0, 1, 1, 1] = 0.5           # and frame 1 pixel (1, 1) -> count 7
    logits[0, 1, 1, 0, 1] = 0.0           # query 1: a zero logit is not positive: empty
    pooled = mask_pool(features, logits)
    assert pooled.shape == (1, 2, 2)
    torch.testing.assert_close(pooled[0], torch.tensor([[3.5, 35.0], [0.0, 0.0]]))


def test_coarse_masks_are_resized_to_the_features():
    features = torch.arange(16.0).view(1, 1, 1, 4, 4)
    # 2x2 logits upsampled bilinearly to 4x4 (pixel centres): row/column weights .75/.25 next
    # to the positive corner, so the top-left 2x2 block gets 3, 1.5, 1.5 and
    # .75 * .75 * 3 - (1 - .5625) * 3 = .375, all > 0, and every other pixel is negative
    logits = torch.tensor([[3.0, -3.0], [-3.0, -3.0]]).view(1, 1, 1, 2, 2)
    pooled = mask_pool(features, logits)
    torch.testing.assert_close(pooled[0, 0], torch.tensor([(0 + 1 + 4 + 5) / 4]))
