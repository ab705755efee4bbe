"""The OpenCLIP backbone loads a CLIP checkpoint into its re-parented modules and its pooled
projection reproduces CLIP's own image embedding."""
import pytest
import torch

from omgseg.models.backbones import OpenCLIPBackbone, build_clip_model


@pytest.fixture(scope='module')
def tiny_clip_ckpt(tmp_path_factory) -> str:
    """A randomly initialised (seeded) tiny CLIP saved as a state dict, built in-process."""
    torch.manual_seed(0)
    clip = build_clip_model('omgseg_tiny_convnext')
    path = tmp_path_factory.mktemp('clip') / 'tiny_clip.pth'
    torch.save({k: v.detach().contiguous() for k, v in clip.state_dict().items()}, path)
    return str(path)


def test_checkpoint_loading_and_clip_projection(tiny_clip_ckpt):
    ckpt = tiny_clip_ckpt
    backbone = OpenCLIPBackbone(model_name='omgseg_tiny_convnext', pretrained=ckpt)
    backbone.init_weights()
    clip = build_clip_model('omgseg_tiny_convnext')
    clip.load_state_dict(torch.load(ckpt, weights_only=True))
    clip.eval()
    image = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        feats = backbone(image)
        expected = clip.encode_image(image)                         # (2, D), unnormalised
    assert [f.shape[1] for f in feats] == backbone.out_channels
    assert [image.shape[-1] // f.shape[-1] for f in feats] == [4, 8, 16, 32]
    # mask pooling over the whole image = global average of stage 4
    pooled = backbone.get_clip_feature(feats[-1]).mean(dim=(-2, -1))[:, None]  # (2, 1, C4)
    torch.testing.assert_close(backbone.project_pooled(pooled)[:, 0], expected,
                               rtol=1e-4, atol=1e-5)


def test_checkpoint_of_another_model_is_a_clear_error(tmp_path):
    path = tmp_path / 'wrong.pth'
    torch.save({'visual.trunk.stem.0.weight': torch.zeros(1)}, path)
    backbone = OpenCLIPBackbone(model_name='omgseg_tiny_convnext', pretrained=str(path))
    with pytest.raises(ValueError, match='wrong.pth'):
        backbone.init_weights()


def test_missing_local_checkpoint_names_the_file():
    backbone = OpenCLIPBackbone(model_name='omgseg_tiny_convnext',
                                pretrained='/nonexistent/clip.pth')
    with pytest.raises(FileNotFoundError, match='/nonexistent/clip.pth'):
        backbone.init_weights()
