"""The command line of ``tools/infer.py``: inferencer + writers, one-line errors.

    python tools/infer.py INPUT CONFIG CHECKPOINT --task T --out DIR [--vocabulary a,b,c | FILE]
        [--stuff d,e] [--points X,Y[,1] ...] [--boxes X1,Y1,X2,Y2 ...] [--first-frame-mask PNG]

Writes overlays (a PNG per image, an MP4 per video at its frame rate) and the task's
machine-readable results (see :mod:`omgseg.apis.infer_writers`) under ``--out``. Bad input is
reported as one line ``error: ...`` naming the argument and the fix, with exit code 2.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

from .infer_inputs import FOLDER_MODES
from .infer_results import INFER_TASKS

EXIT_BAD_INPUT = 2


class CliError(ValueError):
    """Bad command-line input (reported without a traceback)."""


def _floats(text: str, count: tuple[int, ...], flag: str, form: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(',')]
    except ValueError:
        values = []
    if len(values) not in count:
        raise CliError(f'{flag} {text!r}: expected {form}, e.g. {flag} '
                       f'{"10,20" if flag == "--points" else "10,20,80,90"}.')
    return values


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description='Segment your own images and videos with OMG-Seg (every task).')
    p.add_argument('input', help='image, video (mp4/avi/mov), folder of frames or images')
    p.add_argument('config', help='model config')
    p.add_argument('checkpoint', help='model weights (.pth)')
    p.add_argument('--task', default='panoptic', help=f'one of {", ".join(INFER_TASKS)}')
    p.add_argument('--out', required=True, help='output folder')
    p.add_argument('--vocabulary', help='class names: a comma list (cat,dog) or a text file '
                   '(one name a line); default: the model\'s own classes')
    p.add_argument('--stuff', help='stuff class names (comma list or file), after the '
                   'vocabulary\'s things')
    p.add_argument('--points', nargs='+', default=[], metavar='X,Y[,1]',
                   help='interactive: positive clicks in pixels of the first frame')
    p.add_argument('--boxes', nargs='+', default=[], metavar='X1,Y1,X2,Y2',
                   help='interactive: boxes in pixels of the first frame')
    p.add_argument('--first-frame-mask', help='vos: DAVIS palette PNG of the first frame')
    p.add_argument('--folder-as', default='video', choices=FOLDER_MODES,
                   help='a folder is one video of frames (default) or separate images')
    p.add_argument('--fps', type=float, default=30.0, help='frame rate of a folder of frames')
    p.add_argument('--device', help='e.g. cpu or cuda:0 (default: cuda when available)')
    p.add_argument('--cache-dir', help='class-embedding cache (default ~/.cache/omgseg)')
    p.add_argument('--no-overlays', action='store_true', help='write results only')
    p.add_argument('--no-progress', action='store_true', help='no progress bars')
    return p


def check_args(args: argparse.Namespace) -> dict:
    """Validate the arguments before the model loads; returns the prompts (or ``None``)."""
    for flag, path in (('INPUT', args.input), ('CONFIG', args.config),
                       ('CHECKPOINT', args.checkpoint)):
        if not os.path.exists(path):
            raise CliError(f'{flag} {path} does not exist; check the path.')
    if args.task not in INFER_TASKS:
        raise CliError(f'--task {args.task!r} is unknown; use one of {", ".join(INFER_TASKS)}.')
    prompted = bool(args.points or args.boxes)
    if prompted and args.task != 'interactive':
        raise CliError(f'--points/--boxes are prompts for --task interactive, not '
                       f'{args.task}; drop them or pass --task interactive.')
    if args.task == 'interactive' and not prompted:
        raise CliError('--task interactive needs prompts: --points X,Y ... and/or --boxes '
                       'X1,Y1,X2,Y2 ...')
    if args.first_frame_mask and args.task != 'vos':
        raise CliError(f'--first-frame-mask is for --task vos, not {args.task}; drop it.')
    if args.task == 'vos':
        if not args.first_frame_mask:
            raise CliError('--task vos needs --first-frame-mask PNG (DAVIS palette PNG of the '
                           'first frame: 0 background, k object k).')
        if not os.path.isfile(args.first_frame_mask):
            raise CliError(f'--first-frame-mask {args.first_frame_mask} does not exist.')
    if args.fps <= 0:
        raise CliError(f'--fps must be positive, got {args.fps}.')
    if not prompted:
        return None
    points = [_floats(p, (2, 3), '--points', 'X,Y or X,Y,LABEL') for p in args.points]
    boxes = [_floats(b, (4,), '--boxes', 'X1,Y1,X2,Y2') for b in args.boxes]
    return dict(points=points, boxes=boxes)


def run(args: argparse.Namespace, prompts: dict | None, log=print) -> list:
    """Run the inferencer with the writers; returns the written files."""
    from mmengine.logging import MMLogger

    from .infer_writers import writers_for
    from .inferencer import OMGSegInferencer, parse_prompts

    # mmengine reports every initialised parameter at INFO: keep the terminal for results
    MMLogger.get_current_instance().setLevel(logging.WARNING)
    marks = parse_prompts(prompts) if prompts is not None else None
    writers = writers_for(args.task, args.out, overlays=not args.no_overlays, prompts=marks)

    def on_frame(video, frame, rgb):
        for writer in writers:
            writer.add(video, frame, rgb)

    inferencer = OMGSegInferencer(args.config, args.checkpoint, device=args.device,
                                  cache_dir=args.cache_dir, progress=not args.no_progress)
    videos = inferencer(args.input, task=args.task, vocabulary=args.vocabulary,
                        stuff=args.stuff, prompts=prompts,
                        first_frame_mask=args.first_frame_mask, folder=args.folder_as,
                        fps=args.fps, on_frame=on_frame, keep_frames=False)
    written = [path for writer in writers for path in writer.finish()]
    frames = sum(v.num_frames for v in videos)
    log(f'{args.task}: {len(videos)} input(s), {frames} frame(s) -> {args.out}')
    for path in written:
        log(f'  {path}')
    return written


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (2 for bad input, with a one-line message)."""
    args = build_parser().parse_args(argv)
    try:
        prompts = check_args(args)
        run(args, prompts)
    except (CliError, ValueError, FileNotFoundError, TypeError) as err:
        message = ' '.join(str(err).split())
        print(f'error: {message}', file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


__all__ = ['CliError', 'EXIT_BAD_INPUT', 'build_parser', 'check_args', 'main', 'run']
