"""The Gradio web demo (``tools/demo/web_demo.py``): one model, images and short videos, every
object task and interactive clicks. Gradio is optional (``uv sync --group demo``); it is
imported only here.

The request logic lives in :mod:`omgseg.apis.demo_handlers`; this module lays out the page and
turns handler errors into messages shown in the browser. (No ``from __future__ import
annotations`` here: Gradio finds the ``gr.SelectData`` argument by its real annotation.)
"""
import os
import tempfile
from pathlib import Path

from .demo_handlers import DEMO_TASKS, DemoHandlers, DemoLimits, add_click

INTRO = ('**OMG-Seg**: one model for panoptic, instance, semantic and interactive segmentation. '
         'Upload an image or a short video, choose the task, optionally type class names '
         '(comma-separated open vocabulary). For *interactive*, click the image to add points '
         '(or two clicks per box), or type prompts in pixels of the first frame.')


def _guard(fn):
    """Run a handler; bad input becomes a message in the page instead of a server error."""
    import gradio as gr

    def wrapped(*args):
        try:
            return fn(*args)
        except (ValueError, FileNotFoundError) as err:
            raise gr.Error(str(err)) from None
    wrapped.__name__ = fn.__name__
    return wrapped


def build_app(handlers: DemoHandlers):
    """The ``gr.Blocks`` page wired to ``handlers`` (API names ``segment_image``,
    ``segment_video``)."""
    import gradio as gr

    def on_select(points, boxes, corner, mode, evt: gr.SelectData):
        x, y = evt.index[:2]
        return add_click(points or '', boxes or '', corner, x, y, mode)

    with gr.Blocks(title='OMG-Seg demo') as app:
        gr.Markdown(INTRO)
        with gr.Row():
            task = gr.Radio(list(DEMO_TASKS), value='panoptic', label='Task')
            vocabulary = gr.Textbox(label='Vocabulary (empty: the model\'s own classes)',
                                    placeholder='e.g. person, dog, frisbee, grass')
        with gr.Row():
            points = gr.Textbox(label='Points (x,y; ...)', placeholder='120,80; 40,60')
            boxes = gr.Textbox(label='Boxes (x1,y1,x2,y2; ...)', placeholder='10,10,90,70')
            mode = gr.Radio(['point', 'box'], value='point', label='A click adds a')
            clear = gr.Button('Clear prompts')
        corner = gr.State(None)
        with gr.Tab('Image'):
            with gr.Row():
                image = gr.Image(type='numpy', label='Input image',
                                 sources=['upload', 'clipboard'], elem_id='input-image')
                overlay = gr.Image(type='numpy', label='Overlay', interactive=False)
            run_image = gr.Button('Segment image', variant='primary')
            image_info = gr.Textbox(label='Found', lines=6)
        with gr.Tab('Video'):
            with gr.Row():
                video = gr.Video(label=f'Input video (up to {handlers.limits.max_frames} '
                                 f'frames)', sources=['upload'])
                rendered = gr.Video(label='Overlay video', interactive=False)
            run_video = gr.Button('Segment video', variant='primary')
            video_info = gr.Textbox(label='Found', lines=6)
        image.select(on_select, [points, boxes, corner, mode], [points, boxes, corner])
        clear.click(lambda: ('', '', None), None, [points, boxes, corner])
        run_image.click(_guard(handlers.segment_image),
                        [image, task, vocabulary, points, boxes], [overlay, image_info],
                        api_name='segment_image')
        run_video.click(_guard(handlers.segment_video),
                        [video, task, vocabulary, points, boxes], [rendered, video_info],
                        api_name='segment_video')
    return app


def launch(inferencer, *, host: str = '127.0.0.1', port: int = 7860,
           limits: DemoLimits = DemoLimits(), work_dir: str | None = None,
           block: bool = True):
    """Serve the demo; returns the app (``block=False`` returns once the server runs).

    Uploads go to ``work_dir/uploads`` (a fresh temporary folder by default) and are the only
    files the handlers read.
    """
    root = Path(work_dir or tempfile.mkdtemp(prefix='omgseg_demo_'))
    uploads, outputs = root / 'uploads', root / 'outputs'
    uploads.mkdir(parents=True, exist_ok=True)
    outputs.mkdir(parents=True, exist_ok=True)
    # Gradio stores every upload under GRADIO_TEMP_DIR: make that the handlers' upload folder
    os.environ['GRADIO_TEMP_DIR'] = str(uploads)
    handlers = DemoHandlers(inferencer=inferencer, limits=limits, upload_dir=uploads,
                            output_dir=outputs)
    app = build_app(handlers)
    app.queue(default_concurrency_limit=1)  # one model: requests take turns
    app.launch(server_name=host, server_port=port, max_file_size=int(limits.max_upload_mb * 2 ** 20),
               allowed_paths=[str(outputs)], prevent_thread_lock=not block, quiet=not block,
               ssr_mode=False)
    return app


__all__ = ['INTRO', 'build_app', 'launch']
