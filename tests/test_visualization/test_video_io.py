"""Video files and frame folders, read frame by frame; MP4 writing round trip."""
import cv2
import numpy as np
import pytest

from omgseg.visualization import (VideoWriter, open_frame_folder, open_frames, open_video)

H, W, N, FPS = 64, 96, 12, 12.0


def _frames():
    """Smooth, distinct frames (mp4v is lossy; flat gradients survive it well)."""
    yy, xx = np.mgrid[0:H, 0:W]
    return [np.stack([(xx * 2 + 10 * t) % 256, (yy * 3) % 256,
                      np.full((H, W), 20 * t % 256)], -1).astype(np.uint8) for t in range(N)]


@pytest.fixture
def mp4(tmp_path):
    """Written by OpenCV directly, so the reader is tested against an independent writer."""
    path = tmp_path / 'clip.mp4'
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), FPS, (W, H))
    assert writer.isOpened()
    for frame in _frames():
        writer.write(frame[..., ::-1].copy())  # RGB -> BGR
    writer.release()
    return path


def test_reader_metadata_and_frames(mp4):
    reader = open_video(mp4)
    assert (reader.num_frames, reader.fps, reader.size) == (N, FPS, (W, H))
    assert reader.names[:2] == ['00000', '00001'] and len(reader) == N
    frames = list(reader)
    assert len(frames) == N and frames[0].shape == (H, W, 3) and frames[0].dtype == np.uint8
    for got, want in zip(frames, _frames()):
        assert np.abs(got.astype(int) - want).mean() < 6  # RGB order kept through mp4v
    bgr = next(iter(open_video(mp4, channel_order='bgr')))
    assert (bgr == frames[0][..., ::-1]).all()
    assert len(list(reader)) == N  # a second pass starts again from the first frame


def test_iteration_is_lazy(mp4):
    it = iter(open_video(mp4))
    first = next(it)
    assert first.shape == (H, W, 3)
    it.close()  # releases the capture without decoding the rest


def test_writer_round_trip(tmp_path):
    out = tmp_path / 'sub' / 'out.mp4'
    with VideoWriter(out, fps=7.5) as writer:
        for frame in _frames():
            writer.write(frame)
    assert writer.num_frames == N
    reader = open_video(out)
    assert (reader.num_frames, reader.fps, reader.size) == (N, 7.5, (W, H))
    for got, want in zip(reader, _frames()):
        assert np.abs(got.astype(int) - want).mean() < 6
    with pytest.raises(ValueError, match='frame 1 is 10x10'):
        with VideoWriter(tmp_path / 'bad.mp4', fps=5) as w:
            w.write(_frames()[0])
            w.write(np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(ValueError, match='.mp4'):
        VideoWriter(tmp_path / 'x.avi', fps=5)
    with pytest.raises(ValueError, match='fps'):
        VideoWriter(tmp_path / 'x.mp4', fps=0)


def test_frame_folder_natural_order_images_only(tmp_path):
    for i, frame in enumerate(_frames()[:3]):
        cv2.imwrite(str(tmp_path / f'frame{[2, 10, 1][i]}.png'), frame[..., ::-1].copy())
    (tmp_path / 'notes.txt').write_text('not a frame')
    (tmp_path / '.hidden.png').write_bytes(b'')
    reader = open_frames(tmp_path, fps=5)
    assert reader.names == ['frame1', 'frame2', 'frame10'] and reader.fps == 5
    frames = list(reader)
    assert (frames[0] == _frames()[2]).all() and (frames[2] == _frames()[1]).all()


def test_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.mp4'):
        open_video(tmp_path / 'missing.mp4')
    gif = tmp_path / 'clip.gif'
    gif.write_bytes(b'GIF89a')
    with pytest.raises(ValueError, match=r'clip.gif.*\.mp4, \.avi, \.mov'):
        open_video(gif)
    corrupt = tmp_path / 'corrupt.mp4'
    corrupt.write_bytes(b'\x00\x00\x00\x18ftypmp42' + bytes(range(256)) * 8)
    with pytest.raises(ValueError, match='corrupt.mp4'):
        open_video(corrupt)
    empty = tmp_path / 'empty'
    empty.mkdir()
    (empty / 'readme.md').write_text('x')
    with pytest.raises(ValueError, match='empty holds no image'):
        open_frames(empty)
    bad = tmp_path / 'bad'
    bad.mkdir()
    (bad / '0.jpg').write_bytes(b'not a jpeg')
    with pytest.raises(ValueError, match='0.jpg'):
        list(open_frame_folder(bad))
    with pytest.raises(ValueError, match='channel_order'):
        open_frames(bad, channel_order='rbg')
