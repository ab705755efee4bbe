"""Dashboards: a short toy run's JSON log (and TensorBoard events when the optional package is
installed) hold the learning rate, the loss groups, each layer's terms and the metrics of
every evaluation entry; analyze_logs.py turns that log into a PNG."""
import importlib.util
import struct
from pathlib import Path

import pytest
from PIL import Image

from omgseg.engine import dashboards
from omgseg.engine.dashboards import DashboardVisualizer
from omgseg.engine.log_analysis import load_curves
from tests.conftest import run_tool, toy_cfg

HAS_TENSORBOARD = importlib.util.find_spec('tensorboard') is not None
ENTRIES = ('coco', 'coco_no_instances')


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[pos]
        value |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if byte < 0x80:
            return value, pos


def _fields(buf: bytes):
    """(field number, wire type, value) of a protobuf message; value is bytes for type 2."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
        else:
            raise ValueError(f'wire type {wire}')
        yield field, wire, value


def read_scalars(path: Path) -> dict[str, list[tuple[int, float]]]:
    """Scalars of a tfevents file: records are (u64 length, u32 crc, Event, u32 crc); an Event
    has step (field 2) and summary (5), whose values (1) have tag (1) and simple_value (2)."""
    data, pos, out = path.read_bytes(), 0, {}
    while pos < len(data):
        (length,) = struct.unpack('<Q', data[pos:pos + 8])
        event, pos = data[pos + 12:pos + 12 + length], pos + 12 + length + 4
        step, values = 0, []
        for field, _, value in _fields(event):
            if field == 2:
                step = value
            elif field == 5:
                values += [v for f, _, v in _fields(value) if f == 1]
        for value in values:
            fields = {f: v for f, _, v in _fields(value)}
            if 2 in fields:
                tag = fields[1].decode()
                out.setdefault(tag, []).append((step, struct.unpack('<f', fields[2])[0]))
    return out


@pytest.fixture(scope='module')
def toy_run(toy_root, tmp_path_factory):
    """Two epochs of 2 iterations, evaluated on two entries after each; TensorBoard on when
    the package is installed."""
    tmp = tmp_path_factory.mktemp('dash')
    cfg = toy_cfg(toy_root, work_dir=tmp / 'work', **{
        'train_cfg.max_epochs': 2, 'train_cfg.val_interval': 1,
        'default_hooks.logger.interval': 1})
    cfg.train_dataloader.batch_size = 2
    cfg.train_dataloader.dataset.indices = 4
    cfg.val_dataloader.batch_size = 2
    cfg.val_dataloader.dataset.indices = 2
    cfg.val_evaluator = [dict(type='PanopticQualityMetric')]
    cfg.val_cfg = dict(type='MultiDatasetValLoop', name=ENTRIES[0], extra=[
        dict(name=ENTRIES[1], dataloader=cfg.val_dataloader,
             evaluator=[dict(type='PanopticQualityMetric')],
             test_cfg=dict(objects=dict(instance_on=False)))])
    cfg.dump(str(tmp / 'cfg.py'))
    run_tool('tools/train.py', str(tmp / 'cfg.py'),
             *(['--tensorboard'] if HAS_TENSORBOARD else []))
    return tmp / 'work'


def _expected_keys():
    layers = [f'loss_layers/d{i}.{n}' for i in (0, 3, 6)
              for n in ('loss_cls', 'loss_obj', 'loss_mask', 'loss_dice')]
    metrics = [f'{e}/panoptic/PQ' for e in ENTRIES]
    return ['lr', 'loss', 'loss_cls', 'loss_obj', 'loss_mask', 'loss_dice', *layers, *metrics]


def test_json_log_has_groups_layers_and_every_entry(toy_run, tmp_path):
    log = next(toy_run.glob('*/vis_data/*.json'))
    curves = load_curves(log)
    for key in _expected_keys():
        assert key in curves, key
    # layers d0..d6 are the 6 decoder layers and the prediction before them: d6 is the last
    assert not any(k.startswith('loss_layers/d7.') for k in curves)
    assert 'd3.loss_cls' not in curves
    assert curves['coco/panoptic/PQ'][0] == [2, 4]            # after each epoch's last iter
    # the group is the sum of its layers, iteration by iteration
    total = [sum(curves[f'loss_layers/d{i}.loss_dice'][1][j] for i in range(7))
             for j in range(len(curves['loss_dice'][1]))]
    assert curves['loss_dice'][1] == pytest.approx(total, rel=1e-5)
    text = next(toy_run.glob('*/*.log')).read_text()
    line = next(x for x in text.splitlines() if 'Epoch(train)' in x and 'loss_dice' in x)
    assert 'loss_obj' in line and 'd3.' not in line and 'loss_layers' not in line
    out = tmp_path / 'curves.png'
    run_tool('tools/analysis_tools/analyze_logs.py', 'plot_curve', str(log), '--keys', 'loss',
             'loss_mask', 'coco/panoptic/PQ', '--out', str(out))
    with Image.open(out) as img:
        assert img.size == (800, 900)


@pytest.mark.skipif(not HAS_TENSORBOARD, reason='optional group `dashboards` not installed')
def test_tensorboard_events_hold_losses_and_metrics(toy_run):
    events = list(toy_run.glob('*/vis_data/events.out.tfevents.*'))
    assert len(events) == 1
    scalars = read_scalars(events[0])
    curves = load_curves(next(toy_run.glob('*/vis_data/*.json')))
    for key in _expected_keys():
        assert key in scalars, key
        assert [v for _, v in scalars[key]] == pytest.approx(curves[key][1], rel=1e-6)
    assert [s for s, _ in scalars['loss']] == [1, 2, 3, 4]
    assert [s for s, _ in scalars['coco_no_instances/panoptic/PQ']] == [1, 2]   # epochs


def test_missing_dashboard_packages_fail_before_training(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(dashboards.importlib.util, 'find_spec',
                        lambda name, *a: None if name in ('wandb', 'tensorboard') else real(name))
    with pytest.raises(ImportError, match='`wandb` package.*pip install wandb'):
        DashboardVisualizer(name='no-wandb', wandb=True)
    with pytest.raises(ImportError, match='--tensorboard.*`tensorboard` package'):
        DashboardVisualizer(name='no-tb', tensorboard=True)
