"""Web demo: one model served in the browser (images, short videos, every object task,
interactive clicks, open vocabulary).

    uv sync --group demo        # installs gradio
    python tools/demo/web_demo.py CONFIG CHECKPOINT [--port 7860] [--host 127.0.0.1]
        [--max-upload-mb 20] [--max-frames 150] [--device cuda:0]

Binds to localhost unless --host says otherwise. The page logic is omgseg/apis/demo_app.py.
"""
import argparse
import os.path as osp
import sys

# runnable as a plain script from any directory
sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def main() -> int:
    parser = argparse.ArgumentParser(description='OMG-Seg web demo (Gradio)')
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', help='model weights (.pth)')
    parser.add_argument('--host', default='127.0.0.1',
                        help='interface to bind (0.0.0.0 exposes the demo to the network)')
    parser.add_argument('--port', type=int, default=7860)
    parser.add_argument('--max-upload-mb', type=float, default=20.0, help='upload size cap')
    parser.add_argument('--max-frames', type=int, default=150, help='video length cap')
    parser.add_argument('--max-side', type=int, default=2048, help='image side cap (px)')
    parser.add_argument('--device', help='e.g. cpu or cuda:0 (default: cuda when available)')
    args = parser.parse_args()
    try:
        import gradio  # noqa: F401
    except ImportError:
        print('error: the web demo needs gradio; install it with `uv sync --group demo` '
              '(or pip install gradio).', file=sys.stderr)
        return 2
    from omgseg.apis import OMGSegInferencer
    from omgseg.apis.demo_app import launch
    from omgseg.apis.demo_handlers import DemoLimits

    for what, path in (('CONFIG', args.config), ('CHECKPOINT', args.checkpoint)):
        if not osp.isfile(path):
            print(f'error: {what} {path} does not exist.', file=sys.stderr)
            return 2
    inferencer = OMGSegInferencer(args.config, args.checkpoint, device=args.device)
    inferencer.model  # noqa: B018  (load once, before the first request)
    launch(inferencer, host=args.host, port=args.port,
           limits=DemoLimits(max_upload_mb=args.max_upload_mb, max_frames=args.max_frames,
                             max_side=args.max_side))
    return 0


if __name__ == '__main__':
    sys.exit(main())
