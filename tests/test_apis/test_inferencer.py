"""OMGSegInferencer: every task on an image, a video file and a frame folder (one code path),
stable track ids, streaming callbacks, open-vocabulary embeddings cached on disk, bad input."""
import numpy as np
import pytest

from omgseg.apis import OMGSegInferencer
from omgseg.apis.infer_inputs import resolve_inputs
from omgseg.apis.inferencer import pick_device
from tests.test_apis.infer_fixtures import FPS, NUM_FRAMES, infer_assets  # noqa: F401

H, W = 72, 96  # the toy video's frame size


@pytest.fixture(scope='module')
def inferencer(infer_assets, tmp_path_factory):
    return OMGSegInferencer(infer_assets['config'], infer_assets['checkpoint'], device='cpu',
                            cache_dir=tmp_path_factory.mktemp('cache'), progress=False)


def _check_tracks(video):
    """A track id keeps its class through the video (it is the model's query)."""
    label_of = {}
    for frame in video.frames:
        for seg in frame.segments:
            if seg.isthing:
                assert seg.track_id == seg.id
                assert label_of.setdefault(seg.track_id, seg.label) == seg.label
            else:
                assert seg.track_id is None
    return label_of


@pytest.mark.parametrize('key', ['image', 'video', 'frames'])
def test_object_tasks_on_every_input(inferencer, infer_assets, key):
    n = 1 if key == 'image' else NUM_FRAMES
    for task in ('panoptic', 'instance', 'semantic'):
        (video,) = inferencer(infer_assets[key], task=task)
        assert video.kind == ('image' if key == 'image' else 'video')
        assert len(video.frames) == n == video.num_frames
        assert [f.index for f in video.frames] == list(range(n))
        if key == 'video':
            assert video.fps == pytest.approx(FPS)
        k = len(video.class_names)
        assert k == 8 and video.num_things == 5                      # the toy vocabulary
        for frame in video.frames:
            assert (frame.height, frame.width) == (H, W)
            if task == 'panoptic':
                assert frame.id_map.shape == (H, W) and frame.id_map.dtype == np.int32
                assert {s.id for s in frame.segments} <= set(np.unique(frame.id_map).tolist())
            elif task == 'semantic':
                assert frame.semantic.shape == (H, W)
                assert 0 <= frame.semantic.min() and frame.semantic.max() < k
            else:
                assert len(frame.instances) == len(video.tracks) > 0
                assert all(r is None or r['size'] == [H, W] for r in frame.instances)
        if task == 'panoptic':
            _check_tracks(video)
        if task == 'instance':
            assert all(0 <= t.label < 5 and t.name == video.class_names[t.label]
                       for t in video.tracks)


def test_video_file_and_frame_folder_share_frame_names(infer_assets):
    (video,) = resolve_inputs(infer_assets['video'])
    (folder,) = resolve_inputs(infer_assets['frames'])
    assert video.num_frames == folder.num_frames == NUM_FRAMES
    assert folder.frame_names == tuple(f'f{t}' for t in range(NUM_FRAMES))
    images = resolve_inputs(infer_assets['frames'], folder='images')
    assert [s.kind for s in images] == ['image'] * NUM_FRAMES
    # two inputs with one stem get distinct names, so their output files never collide
    names = [s.name for s in resolve_inputs([infer_assets['image'], infer_assets['image']])]
    assert names == ['f0', 'f0_2']


def test_streaming_callback_and_arrays(inferencer, infer_assets):
    import cv2
    seen = []
    bgr = cv2.imread(infer_assets['image'])
    videos = inferencer([infer_assets['video'], bgr], task='panoptic', keep_frames=False,
                        on_frame=lambda v, f, rgb: seen.append((v.name, f.index, rgb.shape)))
    assert [v.frames for v in videos] == [[], []]
    assert [v.num_frames for v in videos] == [NUM_FRAMES, 1]
    assert seen == [('clip', t, (H, W, 3)) for t in range(NUM_FRAMES)] + [('image1', 0,
                                                                             (H, W, 3))]


def test_vos_follows_first_frame_objects(inferencer, infer_assets, tmp_path):
    from omgseg.datasets.davis_format import save_davis_png
    for key in ('video', 'frames'):
        (video,) = inferencer(infer_assets[key], task='vos',
                              first_frame_mask=infer_assets['mask'])
        assert len(video.frames) == NUM_FRAMES
        for frame in video.frames:
            assert set(np.unique(frame.id_map).tolist()) <= {0, 1, 2}
            assert {s.id for s in frame.segments} == set(np.unique(frame.id_map).tolist()) - {0}
    small = tmp_path / 'small.png'
    save_davis_png(np.ones((10, 10), np.uint8), small)
    with pytest.raises(ValueError, match=r'small\.png is 10x10 but clip is 96x72'):
        inferencer(infer_assets['video'], task='vos', first_frame_mask=str(small))
    with pytest.raises(FileNotFoundError, match='nope.png'):
        inferencer(infer_assets['video'], task='vos', first_frame_mask='nope.png')
    with pytest.raises(ValueError, match='needs first_frame_mask'):
        inferencer(infer_assets['video'], task='vos')


def test_interactive_on_image_and_video(inferencer, infer_assets):
    prompts = dict(points=[[30, 30, 1]], boxes=[[10, 10, 60, 50]])
    (image,) = inferencer(infer_assets['image'], task='interactive', prompts=prompts)
    (frame,) = image.frames
    assert set(np.unique(frame.id_map).tolist()) <= {0, 1, 2}
    assert all(s.track_id == s.id and 0 <= s.label < 8 for s in frame.segments)
    (video,) = inferencer(infer_assets['video'], task='interactive', prompts=prompts)
    assert len(video.frames) == NUM_FRAMES
    # frame 0 is the prompts' own masks; later frames follow the prompted objects
    assert np.array_equal(video.frames[0].id_map, _first_video_prompt_map(inferencer,
                                                                         infer_assets, prompts))
    assert all(set(np.unique(f.id_map).tolist()) <= {0, 1, 2} for f in video.frames)
    with pytest.raises(ValueError, match='only positive clicks'):
        inferencer(infer_assets['image'], task='interactive', prompts=dict(points=[[3, 3, 0]]))
    with pytest.raises(ValueError, match='outside the 96x72 image'):
        inferencer(infer_assets['image'], task='interactive', prompts=dict(points=[[300, 3]]))
    with pytest.raises(ValueError, match='prompts are for task interactive'):
        inferencer(infer_assets['image'], task='panoptic', prompts=prompts)


def _first_video_prompt_map(inferencer, infer_assets, prompts):
    from omgseg.apis import segment_prompts
    from omgseg.visualization import open_video
    first = next(iter(open_video(infer_assets['video'], channel_order='bgr')))
    res = segment_prompts(inferencer.model, first, points=[p[:2] for p in prompts['points']],
                          boxes=prompts['boxes'])
    ids = np.zeros(first.shape[:2], np.int32)
    for i in reversed(range(len(res))):
        ids[res[i]['mask']] = i + 1
    return ids


def test_open_vocabulary_is_cached_on_disk(inferencer, infer_assets, monkeypatch):
    import omgseg.models.text as text
    vocab = ['zebra crossing', 'teapot', 'lighthouse']
    (video,) = inferencer(infer_assets['image'], task='panoptic', vocabulary=vocab,
                          stuff=['lava'])
    assert video.class_names == vocab + ['lava'] and video.num_things == 3
    assert all(0 <= s.label < 4 for f in video.frames for s in f.segments)
    emb, hit = inferencer.class_embeddings(vocab + ['lava'])
    assert hit and emb.shape[0] == 4

    def no_text_tower(*args, **kwargs):
        raise AssertionError('the text tower ran although the vocabulary is cached')
    monkeypatch.setattr(text, 'compute_class_embeddings', no_text_tower)
    (again,) = inferencer(infer_assets['image'], task='panoptic', vocabulary=vocab,
                          stuff=['lava'])
    assert [s.label for s in again.frames[0].segments] == [s.label for s in
                                                           video.frames[0].segments]
    # the model's own vocabulary is back after the call
    assert inferencer.model.scorer.class_names[0] != 'zebra crossing'
    with pytest.raises(AssertionError, match='text tower ran'):
        inferencer.class_embeddings(['teapot'])                      # another key: a miss
    with pytest.raises(ValueError, match=r"names \['Teapot'\] more than once"):
        inferencer(infer_assets['image'], vocabulary=['teapot', 'Teapot'])
    with pytest.raises(ValueError, match='is empty'):
        inferencer(infer_assets['image'], vocabulary=' , ')


def test_bad_inputs_are_named(inferencer, tmp_path):
    with pytest.raises(ValueError, match="task 'panoptik' is unknown"):
        inferencer('x.png', task='panoptik')
    with pytest.raises(FileNotFoundError, match='missing.mp4 does not exist'):
        inferencer(str(tmp_path / 'missing.mp4'))
    (tmp_path / 'notes.txt').write_text('hi')
    with pytest.raises(ValueError, match="unsupported extension '.txt'"):
        inferencer(str(tmp_path / 'notes.txt'))
    (tmp_path / 'broken.mp4').write_bytes(b'not a video')
    with pytest.raises(ValueError, match='cannot read video .*broken.mp4'):
        inferencer(str(tmp_path / 'broken.mp4'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match='holds no image'):
        inferencer(str(tmp_path / 'empty'))


def test_pick_device_prefers_cuda_only_when_present():
    import torch
    assert pick_device('cpu') == torch.device('cpu')
    assert pick_device().type == ('cuda' if torch.cuda.is_available() else 'cpu')


def test_progress_bars_over_frames_and_inputs(inferencer, infer_assets):
    from tests.terminal import fake_terminal
    inferencer.progress = True
    try:
        with fake_terminal() as err:
            inferencer([infer_assets['video'], infer_assets['image']], task='semantic',
                       keep_frames=False)
    finally:
        inferencer.progress = False
    text = err.getvalue()
    assert 'clip: 100%' in text and f'{NUM_FRAMES}/{NUM_FRAMES}' in text
    assert 'inputs: 100%' in text and '2/2' in text
    assert 'f0:' not in text                      # no bar for a one-frame input
