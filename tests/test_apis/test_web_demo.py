"""The web demo: its handlers called directly (no browser), then, where gradio is installed
(``uv sync --group demo``), a real server answering HTTP requests and, where Debian's
``chromium`` is installed, a headless browser rendering the page."""
import importlib.util
import shutil
import socket
import subprocess

import cv2
import numpy as np
import pytest

from omgseg.apis import OMGSegInferencer
from omgseg.apis.demo_handlers import DemoHandlers, DemoLimits, add_click, parse_rows
from tests.test_apis.infer_fixtures import NUM_FRAMES, infer_assets  # noqa: F401

HAS_GRADIO = importlib.util.find_spec('gradio') is not None
CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')


@pytest.fixture(scope='module')
def handlers(infer_assets, tmp_path_factory):
    root = tmp_path_factory.mktemp('demo')
    (root / 'uploads').mkdir()
    inferencer = OMGSegInferencer(infer_assets['config'], infer_assets['checkpoint'],
                                  device='cpu', cache_dir=root / 'cache', progress=False)
    return DemoHandlers(inferencer=inferencer, limits=DemoLimits(max_frames=NUM_FRAMES),
                        upload_dir=root / 'uploads', output_dir=root / 'outputs')


def _rgb(infer_assets):
    return cv2.imread(infer_assets['image'])[..., ::-1].copy()


def test_clicks_make_points_and_boxes():
    points, boxes, corner = add_click('', '', None, 10.4, 20.9, 'point')
    assert (points, boxes, corner) == ('10,20', '', None)
    points, boxes, corner = add_click(points, boxes, None, 50, 40, 'box')
    assert corner == [50, 40] and boxes == ''
    points, boxes, corner = add_click(points, boxes, corner, 30, 60, 'box')
    assert (points, boxes, corner) == ('10,20', '30,40,50,60', None)
    assert parse_rows(' 1,2 ; 3,4 ', 2, 'points') == [[1, 2], [3, 4]]
    with pytest.raises(ValueError, match="points: '1' is not 2 comma-separated"):
        parse_rows('1', 2, 'points')


def test_image_handler_every_task(handlers, infer_assets):
    rgb = _rgb(infer_assets)
    for task in ('panoptic', 'instance', 'semantic'):
        overlay, info = handlers.segment_image(rgb, task, 'kite, lamp')
        assert overlay.shape == rgb.shape and overlay.dtype == np.uint8
        assert info.startswith(f'{task}, 1 frame(s)')
    overlay, info = handlers.segment_image(rgb, 'interactive', '', '30,30', '10,10,60,50')
    assert (overlay != rgb).any()            # the prompted masks and the marks are drawn
    with pytest.raises(ValueError, match='needs prompts'):
        handlers.segment_image(rgb, 'interactive', '', '', '')
    with pytest.raises(ValueError, match="task 'vos' is not offered"):
        handlers.segment_image(rgb, 'vos')
    with pytest.raises(ValueError, match='sides up to 2048'):
        handlers.segment_image(np.zeros((10, 3000, 3), np.uint8), 'panoptic')


def test_video_handler_reads_only_uploads(handlers, infer_assets):
    upload = handlers.upload_dir / 'clip.mp4'
    shutil.copy(infer_assets['video'], upload)
    path, info = handlers.segment_video(str(upload), 'panoptic')
    assert path.endswith('.webm') and str(handlers.output_dir) in path
    cap = cv2.VideoCapture(path)
    count = 0
    while cap.grab():
        count += 1
    assert count == NUM_FRAMES and info.startswith(f'panoptic, {NUM_FRAMES} frame(s)')
    # a path named in a request outside the upload folder is refused, even if it exists
    with pytest.raises(ValueError, match='only videos uploaded'):
        handlers.segment_video(infer_assets['video'], 'panoptic')
    with pytest.raises(ValueError, match='only videos uploaded'):
        handlers.segment_video(str(handlers.upload_dir / '..' / 'x.mp4'), 'panoptic')
    small = DemoHandlers(inferencer=handlers.inferencer,
                         limits=DemoLimits(max_frames=2, max_upload_mb=1e-4),
                         upload_dir=handlers.upload_dir, output_dir=handlers.output_dir)
    with pytest.raises(ValueError, match='the cap is 0.0001 MB'):
        small.segment_video(str(upload), 'panoptic')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def server(handlers, tmp_path_factory):
    if not HAS_GRADIO:
        pytest.skip('gradio is not installed (uv sync --group demo)')
    from omgseg.apis.demo_app import launch
    port = _free_port()
    app = launch(handlers.inferencer, port=port, limits=DemoLimits(max_frames=NUM_FRAMES),
                 work_dir=str(tmp_path_factory.mktemp('server')), block=False)
    yield f'http://127.0.0.1:{port}/'
    app.close()


def test_server_answers_image_and_click_requests(server, infer_assets):
    from gradio_client import Client, handle_file
    client = Client(server, verbose=False)
    overlay, info = client.predict(handle_file(infer_assets['image']), 'panoptic', '', '', '',
                                   api_name='/segment_image')
    assert cv2.imread(overlay).shape == (72, 96, 3) and info.startswith('panoptic')
    overlay, info = client.predict(handle_file(infer_assets['image']), 'interactive', '',
                                   '30,30', '', api_name='/segment_image')
    assert info.startswith('interactive, 1 frame(s)')


@pytest.mark.skipif(CHROMIUM is None, reason='chromium is not installed (apt install chromium)')
def test_headless_chromium_renders_the_page(server, tmp_path):
    cmd = [CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--virtual-time-budget=20000',
           '--window-size=1280,1000']
    dom = subprocess.run([*cmd, '--dump-dom', server], capture_output=True, text=True,
                         timeout=120).stdout
    assert 'input-image' in dom and 'Segment image' in dom
    shot = tmp_path / 'page.png'
    subprocess.run([*cmd, f'--screenshot={shot}', server], capture_output=True, timeout=120)
    page = cv2.imread(str(shot))
    assert page is not None and page.shape[:2] == (1000, 1280) and page.std() > 5
