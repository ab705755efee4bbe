"""Peak memory of long-video inference: a 300-frame video against a 30-frame one, in one run.

Each measurement runs in a fresh child process: the toy model (tiny CLIP, random weights; the
architecture is the real one) streams a toy-world video through ``OMGSeg.predict_video``,
frames rendered lazily and each finished frame written out as a panoptic PNG. Peak memory is
CUDA ``max_memory_allocated`` on a GPU and sampled resident memory (``/proc/self/statm``,
every millisecond) on CPU; both the whole process's peak and its growth over the memory held
after a 3-frame warm-up video are reported. For contrast the same is measured
for the whole-video path most video codebases use (every frame normalised up front, every
clip's masks kept in memory: ``--mode in-memory``). ``--modes file`` measures what a user runs:
the video is first written as an MP4, then ``OMGSegInferencer`` reads it frame by frame and
``tools/infer.py``'s writers save the overlay MP4 and the COCO panoptic PNGs + JSON.

    python tools/analysis_tools/benchmark_video_memory.py [--frames 30 300] [--size 256 256]
        [--device cpu|cuda] [--config configs/toy/omgseg_tiny_toy-coco-panoptic.py]

Prints one line per run and, per mode, ``peak(300) / peak(30)`` for the process peak and for
the growth. glibc is limited to 2 malloc arenas in the children so that allocator
fragmentation does not blur the comparison.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = 'configs/toy/omgseg_tiny_toy-coco-panoptic.py'


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--config', default=DEFAULT_CONFIG)
    p.add_argument('--frames', type=int, nargs='+', default=[30, 300])
    p.add_argument('--size', type=int, nargs=2, default=(256, 256), metavar=('H', 'W'))
    p.add_argument('--device', default='cpu')
    p.add_argument('--modes', nargs='+', default=['stream', 'in-memory'],
                   choices=['stream', 'in-memory', 'file'])
    p.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    p.add_argument('--mode', default='stream', help=argparse.SUPPRESS)
    p.add_argument('--assets', default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def _rss_bytes() -> int:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


class _PeakSampler:
    """Samples resident memory every millisecond in a background thread."""

    def __init__(self) -> None:
        self.peak = _rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_bytes())
            time.sleep(0.001)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_bytes())


def _make_assets(config: str, out: Path) -> dict:
    """Tiny CLIP weights and class embeddings (the tools the toy job uses)."""
    clip = out / 'tiny_clip.pth'
    emb = out / 'class_embeddings.pth'
    py = sys.executable
    subprocess.run([py, 'tools/misc/make_tiny_clip.py', '--out', str(clip)], cwd=ROOT,
                   check=True, capture_output=True)
    subprocess.run([py, 'tools/gen_class_embeddings.py', config, '--out', str(emb),
                    '--cfg-options', f'model.backbone.pretrained={clip}'], cwd=ROOT,
                   check=True, capture_output=True)
    return dict(clip=str(clip), emb=str(emb))


def child(args) -> dict:
    import numpy as np
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from PIL import Image

    import omgseg.register  # noqa: F401
    from omgseg.datasets.toy.video import iter_video_frames, make_video_scene
    from omgseg.models.tasks import ObjectQueryTask, output_resizer
    from omgseg.models.tasks.clips import link_batch
    from omgseg.registry import MODELS

    init_default_scope('mmdet')
    torch.manual_seed(0)
    assets = json.loads(args.assets)
    cfg = Config.fromfile(str(ROOT / args.config))
    cfg.model.backbone.pretrained = assets['clip']
    cfg.model.panoptic_head.class_embed_path = assets['emb']
    cfg.model.test_cfg = dict(
        clips=dict(clip_size=5, clip_size_small=3, small_clip_thr=15,
                   mask_memory_mb=0 if args.mode == 'stream' else None),
        objects=dict(instance_on=False, semantic_on=False))
    model = MODELS.build(cfg.model)
    model.init_weights()
    model = model.to(args.device).eval()
    h, w = args.size
    out_dir = Path(tempfile.mkdtemp(prefix='omgseg_bench_'))

    def frames(n):
        scene = make_video_scene(0, 'val', 0, height=h, width=w, num_frames=n)
        for image, _, _ in iter_video_frames(scene, n):
            yield torch.from_numpy(np.ascontiguousarray(image[..., ::-1].transpose(2, 0, 1)))

    def sink(index, out):
        ids = out['panoptic'][0].cpu().numpy().astype(np.uint32)
        rgb = np.stack([ids % 256, ids // 256 % 256, ids // 65536 % 256], -1).astype(np.uint8)
        Image.fromarray(rgb).save(out_dir / f'{index:06d}.png')

    meta = dict(img_shape=(h, w), ori_shape=(h, w))

    def write_mp4(n):
        from omgseg.visualization import VideoWriter
        path = out_dir / f'video_{n}.mp4'
        with VideoWriter(path, fps=10) as writer:
            for image, _, _ in iter_video_frames(make_video_scene(0, 'val', 0, height=h,
                                                                  width=w, num_frames=n), n):
                writer.write(image)
        return str(path)

    def run(n):
        if args.mode == 'file':
            # the user's path: an MP4 read frame by frame, results and overlays written
            from omgseg.apis import OMGSegInferencer
            from omgseg.apis.infer_writers import writers_for
            video = videos[n]
            writers = writers_for('panoptic', out_dir / f'infer_{n}')
            inferencer = OMGSegInferencer(cfg, device=args.device, progress=False)
            model.cfg = cfg                # the test Resize of the config scales the frames
            inferencer._model = model      # the model built above

            def on_frame(v, frame, rgb):
                for writer in writers:
                    writer.add(v, frame, rgb)
            inferencer(video, task='panoptic', keep_frames=False, on_frame=on_frame)
            for writer in writers:
                writer.finish()
            return
        if args.mode == 'stream':
            model.predict_video(frames(n), num_frames=n, meta=meta, sink=sink)
            return
        # the whole-video path: all frames decoded and normalised up front
        clip = torch.stack(list(frames(n)))[None].to(args.device)
        clip = model.data_preprocessor.normalize(clip)
        ctx, handler = model.task_context(), model.handlers[ObjectQueryTask]
        linkers, pad = link_batch(ctx, handler.clips, clip)
        resize = output_resizer(meta, pad, True)
        for index, out in handler.frames_out(ctx, linkers[0], [resize] * n):
            if index >= 0:
                sink(index, out)

    videos = {n: write_mp4(n) for n in (3, args.frames[0])} if args.mode == 'file' else {}
    with torch.no_grad():
        run(3)                                         # warm-up: allocator pools, kernels
        cuda = args.device.startswith('cuda')
        start = time.perf_counter()
        if cuda:
            torch.cuda.synchronize()
            base = torch.cuda.memory_allocated()
            torch.cuda.reset_peak_memory_stats()
            run(args.frames[0])
            torch.cuda.synchronize()
            total = torch.cuda.max_memory_allocated()
        else:
            base = _rss_bytes()
            with _PeakSampler() as sampler:
                run(args.frames[0])
            total = sampler.peak
        peak = total - base
    written = len(list(out_dir.rglob('*.png')))
    return dict(frames=args.frames[0], mode=args.mode, peak_mb=peak / 2 ** 20,
                total_mb=total / 2 ** 20,
                seconds=time.perf_counter() - start, written=written,
                kind='cuda allocated' if cuda else 'resident (RSS)')


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(child(args)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        assets = _make_assets(args.config, Path(tmp))
        results = {}
        for mode in args.modes:
            for n in args.frames:
                cmd = [sys.executable, __file__, '--child', '--mode', mode, '--frames', str(n),
                       '--size', *map(str, args.size), '--device', args.device,
                       '--config', args.config, '--assets', json.dumps(assets)]
                env = dict(os.environ, MALLOC_ARENA_MAX='2')
                proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
                if proc.returncode != 0:
                    print(proc.stdout[-2000:], proc.stderr[-4000:], file=sys.stderr)
                    return proc.returncode
                r = json.loads(proc.stdout.strip().splitlines()[-1])
                results[(mode, n)] = r
                print(f"{mode:9s} {n:4d} frames {args.size[0]}x{args.size[1]}: peak "
                      f"{r['kind']} {r['total_mb']:8.1f} MiB (growth {r['peak_mb']:7.1f} MiB), "
                      f"{r['seconds']:.1f} s, {r['written']} frames written", flush=True)
        lo, hi = min(args.frames), max(args.frames)
        for mode in args.modes:
            a, b = results[(mode, hi)], results[(mode, lo)]
            print(f"{mode}: ratio = peak({hi}) / peak({lo}) = "
                  f"{a['total_mb'] / b['total_mb']:.2f} (growth: "
                  f"{a['peak_mb'] / max(b['peak_mb'], 1e-6):.2f})")
    return 0


if __name__ == '__main__':
    sys.exit(main())
