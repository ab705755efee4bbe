"""Training speed and memory of a config's model: precisions and deformable-attention kernels
side by side in one run, each against the fp32 / PyTorch-kernel baseline of the same run.

    python tools/analysis_tools/benchmark_train.py CONFIG [--steps 10] [--warmup 3]
        [--amp fp32,bf16] [--msda pytorch,numba,triton,mmcv] [--shape 736 1280] [--frames 2]
        [--batch 1] [--num-workers 2] [--with-cp] [--compile] [--random-init] [--json OUT]
        [--cfg-options k=v ...]

Every variant builds the model afresh (same seed, so the same weights), trains it for
``--warmup`` untimed and ``--steps`` timed steps (``model.train_step``: data preprocessing,
forward, matching, losses, backward, AdamW update, exactly as the Runner does) on random
panoptic clips from a ``DataLoader`` (``omgseg.utils.measure.RandomClips``), and reports:
steps/s and images/s (frames/s) from the mean step time, the data-loading share (time waiting
for the loader over the step time), peak GPU memory (``torch.cuda.max_memory_allocated``; n/a
on CPU) and the final loss. Variants this machine cannot run (Triton on CPU without its
interpreter, mmcv without CUDA ops, fp16 without CUDA, bf16 on a GPU without it) are listed
as skipped with the reason. ``--compile`` adds every variant again with the decoder layers
compiled (``model.panoptic_head.compile_decoder=True``; compile time falls in the warm-up
steps, so give at least 2). The paper's setting is the default: 736 x 1280, 2-frame clips,
batch 1. On CPU use the tiny config and a small shape, e.g.
``benchmark_train.py configs/toy/omgseg_tiny_toy-coco-panoptic.py --random-init --shape 128 128
--steps 3``.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import time

import torch
from mmengine.config import Config, DictAction
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

import omgseg.register  # noqa: F401  (registers modules)
from omgseg.models.layers.ms_deform_attn import MSDA_IMPL_ENV, resolve_msda_impl
from omgseg.utils.launch import apply_amp, missing_config
from omgseg.utils.measure import RandomClips, build_model, collate_clips, pad_training_to
from omgseg.utils.mmcv_kernel import use_if_needed

AMPS = ('fp32', 'bf16', 'fp16')
KERNELS = ('pytorch', 'numba', 'triton', 'mmcv')


def _csv(choices: tuple[str, ...]):
    def parse(text: str) -> list[str]:
        items = [t.strip() for t in text.split(',') if t.strip()]
        bad = [t for t in items if t not in choices]
        if not items or bad:
            raise argparse.ArgumentTypeError(f'{text!r}: give a comma-separated list of '
                                             f'{", ".join(choices)}')
        return items
    return parse


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('--steps', type=int, default=10, help='timed steps per variant')
    parser.add_argument('--warmup', type=int, default=3, help='untimed steps first')
    parser.add_argument('--amp', type=_csv(AMPS), default=['fp32', 'bf16'],
                        help='precisions, e.g. fp32,bf16 (default) or fp32,bf16,fp16')
    parser.add_argument('--msda', type=_csv(KERNELS), default=['pytorch', 'triton'],
                        help='deformable-attention kernels, e.g. pytorch,triton,mmcv')
    parser.add_argument('--shape', type=int, nargs=2, default=[736, 1280], metavar=('H', 'W'))
    parser.add_argument('--frames', type=int, default=2, help='frames per clip')
    parser.add_argument('--batch', type=int, default=1, help='clips per step')
    parser.add_argument('--num-workers', type=int, default=2, help='DataLoader workers')
    parser.add_argument('--with-cp', action='store_true',
                        help='activation checkpointing (model.panoptic_head.with_cp=True)')
    parser.add_argument('--compile', action='store_true',
                        help='also run every variant with torch.compile of the decoder layers')
    parser.add_argument('--random-init', action='store_true',
                        help='read no weight or class-embedding file (speed does not depend '
                        'on them)')
    parser.add_argument('--mmcv-source', default=None,
                        help="mmcv's source release (.tar.gz or folder): where the installed "
                        "mmcv has no CUDA ops, compile its deformable-attention kernel from it "
                        "for the 'mmcv' variants (tools/analysis_tools/mmcv_msda_jit.py)")
    parser.add_argument('--mmcv-build-dir', default='work_dirs/mmcv_msda_jit',
                        help='build folder of --mmcv-source (a finished build there is reused)')
    parser.add_argument('--profile', type=int, default=0, metavar='N',
                        help='after the timed steps, profile N more steps of each variant '
                        '(torch.profiler) and print where the time goes: device busy time '
                        'over wall time and the operators of most device / CPU time')
    parser.add_argument('--json', help='also write the results to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    if problem := missing_config(args.config):
        parser.error(problem)
    if (args.steps < 1 or args.warmup < 0 or args.batch < 1 or args.frames < 1
            or args.profile < 0):
        parser.error('--steps, --batch and --frames must be >= 1, --warmup and --profile >= 0.')
    if os.environ.get(MSDA_IMPL_ENV):
        parser.error(f'{MSDA_IMPL_ENV} is set and would override every --msda variant; '
                     f'unset it.')
    return args


def why_not(amp: str, kernel: str, device: torch.device) -> str | None:
    """Why this machine cannot run a variant, or None."""
    try:
        resolve_msda_impl(kernel, torch.empty(0, device=device))
    except ValueError as err:
        return str(err)
    if amp == 'fp16' and device.type != 'cuda':
        return 'fp16 needs CUDA (loss scaling)'
    if amp == 'bf16' and device.type == 'cuda' and not torch.cuda.is_bf16_supported():
        return 'this GPU has no bf16'
    return None


def run_variant(cfg: Config, args, amp: str, kernel: str, device: torch.device,
                compiled: bool = False) -> dict:
    """Train one variant for warmup + steps steps and measure it."""
    cfg = cfg.copy()
    cfg.merge_from_dict({'model.panoptic_head.pixel_decoder.msda_impl': kernel,
                         'model.panoptic_head.compile_decoder': compiled})
    if args.with_cp:
        cfg.merge_from_dict({'model.panoptic_head.with_cp': True})
    if amp != 'fp32':
        apply_amp(cfg, amp)
    torch.manual_seed(0)
    model = build_model(cfg, random_init=args.random_init).to(device).train()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    head = model.panoptic_head
    h, w = args.shape
    data = RandomClips(length=(args.warmup + args.steps + args.profile) * args.batch,
                       frames=args.frames,
                       height=h, width=w, num_things=head.num_things_classes,
                       num_classes=head.num_classes)
    loader = torch.utils.data.DataLoader(data, batch_size=args.batch, shuffle=False,
                                         num_workers=args.num_workers,
                                         collate_fn=collate_clips)
    sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
    waits, steps, loss = [], [], float('nan')
    batches = iter(loader)
    for i in range(args.warmup + args.steps):
        sync()
        start = time.perf_counter()
        batch = next(batches)
        fetched = time.perf_counter()
        log = model.train_step(batch, wrapper)
        sync()
        end = time.perf_counter()
        if i >= args.warmup:
            waits.append(fetched - start)
            steps.append(end - start)
        loss = float(log['loss'])
    peak = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == 'cuda' else None
    mean = statistics.fmean(steps)
    row = dict(amp=amp, msda=kernel, compiled=compiled, step_s=mean,
               median_step_s=statistics.median(steps),
               steps_per_s=1 / mean, images_per_s=args.batch * args.frames / mean,
               data_share=sum(waits) / sum(steps), peak_mib=peak, loss=loss)
    if args.profile:
        name = f'{amp}/{kernel}' + ('+compile' if compiled else '')
        try:
            row['profile'] = profile_steps(model, wrapper, batches, args.profile, device, name)
        except Exception as err:  # a diagnostic: its failure must not lose the measurements
            print(f'-- profile of {name} failed ({type(err).__name__}: {err}); the timings '
                  f'above stand')
    return row


def profile_steps(model, wrapper, batches, n: int, device: torch.device, name: str,
                  top: int = 12) -> dict:
    """Profile ``n`` training steps; print and return the device's busy share of the wall
    time (low: the step waits on the CPU, launches and syncs) and the operators taking the
    most device and CPU time (self time, summed over the steps)."""
    from torch.autograd import DeviceType
    from torch.profiler import ProfilerActivity, profile
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == 'cuda' else [])
    sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)
    sync()
    with profile(activities=acts) as prof:
        start = time.perf_counter()
        for _ in range(n):
            model.train_step(next(batches), wrapper)
        sync()
        wall_us = (time.perf_counter() - start) * 1e6
    ops = prof.key_averages()
    # kernels (and copies) on the device; the CPU-side operators that launched them also carry
    # their device time, so only these are summed
    kernels = [op for op in ops if op.device_type == DeviceType.CUDA]
    device_us = sum(op.self_device_time_total for op in kernels)
    out = dict(steps=n, wall_ms=wall_us / 1e3, device_busy_ms=device_us / 1e3)
    print(f'-- profile of {name}: {n} step(s) in {wall_us / 1e3:.0f} ms wall'
          + (f', device busy {device_us / 1e3:.0f} ms ({100 * device_us / wall_us:.0f}%)'
             if device.type == 'cuda' else ''))
    cpu_ops = [op for op in ops if op.device_type != DeviceType.CUDA]
    for key, label, events in (('self_device_time_total', 'device', kernels),
                               ('self_cpu_time_total', 'CPU', cpu_ops)):
        if not events:
            continue
        rows = sorted(events, key=lambda op: getattr(op, key), reverse=True)[:top]
        out[f'top_{label.lower()}'] = [dict(op=op.key, ms=getattr(op, key) / 1e3,
                                            calls=op.count) for op in rows]
        print(f'   most {label} time (self, ms over the steps, calls):')
        for op in rows:
            print(f'   {getattr(op, key) / 1e3:9.1f}  {op.count:6d}  {op.key[:90]}')
    return out


def print_table(rows: list[dict], base: dict | None) -> None:
    print(f'{"variant":20s} {"step s":>8s} {"steps/s":>8s} {"images/s":>9s} {"data %":>7s} '
          f'{"peak MiB":>9s} {"loss":>8s} {"speed-up":>9s} {"memory":>7s}')
    for r in rows:
        name = f'{r["amp"]}/{r["msda"]}' + ('+compile' if r.get('compiled') else '')
        if 'skipped' in r:
            print(f'{name:20s} skipped: {r["skipped"]}')
            continue
        peak = f'{r["peak_mib"]:9.0f}' if r['peak_mib'] is not None else f'{"n/a":>9s}'
        speed = base['step_s'] / r['step_s'] if base else float('nan')
        mem = (r['peak_mib'] / base['peak_mib'] if base and base['peak_mib'] else None)
        mem_txt = f'{mem:6.2f}x' if mem is not None else f'{"n/a":>7s}'
        print(f'{name:20s} {r["step_s"]:8.3f} {r["steps_per_s"]:8.2f} {r["images_per_s"]:9.2f} '
              f'{100 * r["data_share"]:6.1f}% {peak} {r["loss"]:8.3f} {speed:8.2f}x {mem_txt}')
    if base:
        print(f'speed-up = step time of {base["amp"]}/{base["msda"]} (this run) / step time of '
              f'the variant; memory = peak of the variant / peak of the baseline')


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmdet'))  # omgseg registers into mmdet's
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    h, w = args.shape
    pad_training_to(cfg, h, w)  # every clip padded to --shape, not to a config's larger crop
    mmcv_kernel = 'not asked for'
    if 'mmcv' in args.msda:
        mmcv_kernel = use_if_needed(args.mmcv_source, args.mmcv_build_dir, device)
    print(f'{args.config}: {args.batch} clip(s) of {args.frames} frame(s) at {h} x {w} on '
          f'{torch.cuda.get_device_name() if device.type == "cuda" else "CPU"}; '
          f'{args.warmup} warm-up + {args.steps} timed steps per variant'
          f'{", activation checkpointing" if args.with_cp else ""}; mmcv kernel: '
          f'{mmcv_kernel}')
    rows = []
    for amp in args.amp:
        for kernel in args.msda:
            reason = why_not(amp, kernel, device)
            for compiled in ((False, True) if args.compile else (False,)):
                if reason:
                    rows.append(dict(amp=amp, msda=kernel, compiled=compiled, skipped=reason))
                    continue
                rows.append(run_variant(cfg, args, amp, kernel, device, compiled))
                gc.collect()
                if device.type == 'cuda':
                    torch.cuda.empty_cache()
    measured = [r for r in rows if 'skipped' not in r]
    base = next((r for r in measured if r['amp'] == 'fp32' and r['msda'] == 'pytorch'
                 and not r['compiled']), measured[0] if measured else None)
    print_table(rows, base)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(config=args.config, shape=[h, w], frames=args.frames,
                           batch=args.batch, device=str(device), with_cp=args.with_cp,
                           rows=rows), f, indent=1)


if __name__ == '__main__':
    main()
