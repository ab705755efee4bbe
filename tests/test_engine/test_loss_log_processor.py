"""LossGroupLogProcessor: log lines show loss groups summed over decoder layers, the visualizer
gets every layer's term as well."""
import pytest
from mmengine.logging import MessageHub

from omgseg.engine.loss_log_processor import LossGroupLogProcessor, split_loss_terms


def test_split_sums_layers_and_renames_the_last_layer():
    scalars = {'lr': 1e-4, 'loss': 10.0, 'loss_cls': 1.0, 'd0.loss_cls': 2.0,
               'd1.loss_cls': 3.0, 'loss_mask': 0.5, 'd0.loss_mask': 0.25, 'd1.loss_mask': 0.25,
               'grad_norm': 4.0}
    grouped, layers = split_loss_terms(scalars)
    assert grouped == {'lr': 1e-4, 'loss': 10.0, 'loss_cls': 6.0, 'loss_mask': 1.0,
                       'grad_norm': 4.0}
    assert layers == {'loss_layers/d0.loss_cls': 2.0, 'loss_layers/d1.loss_cls': 3.0,
                      'loss_layers/d2.loss_cls': 1.0, 'loss_layers/d0.loss_mask': 0.25,
                      'loss_layers/d1.loss_mask': 0.25, 'loss_layers/d2.loss_mask': 0.5}
    # with mmengine's hierarchy prefixes the groups keep them
    grouped, layers = split_loss_terms({'train/loss_dice': 1.0, 'train/d0.loss_dice': 2.0})
    assert grouped == {'train/loss_dice': 3.0}
    assert layers == {'train/loss_layers/d0.loss_dice': 2.0,
                      'train/loss_layers/d1.loss_dice': 1.0}


class _Loop:
    dataloader = list(range(100))


class _Runner:
    """The attributes LogProcessor reads from a runner during training."""

    def __init__(self, hub):
        self.message_hub = hub
        self.train_loop = self._train_loop = _Loop()
        self.max_epochs, self.max_iters, self.epoch, self.iter = 1, 100, 0, 4


@pytest.mark.parametrize('window', [1, 3])
def test_log_line_has_groups_and_visualizer_tag_has_layers(window):
    hub = MessageHub.get_instance(f'loss-group-test-{window}')
    names = ['loss_cls', 'loss_obj', 'loss_mask', 'loss_dice']
    sums = {n: [] for n in names}
    for it in range(5):
        step = {}
        for layer in range(10):            # d0..d8 and the last layer
            for j, name in enumerate(names):
                key = name if layer == 9 else f'd{layer}.{name}'
                step[key] = 0.1 * (layer + 1) + j + it
        for name in names:
            sums[name].append(sum(v for k, v in step.items() if k.endswith(name)))
        step['loss'] = sum(step.values())
        for key, value in step.items():
            hub.update_scalar(f'train/{key}', value)
        hub.update_scalar('train/lr', 1e-4)
    proc = LossGroupLogProcessor(window_size=window)
    tag, line = proc.get_log_after_iter(_Runner(hub), 4, 'train')
    for name in names + ['loss']:
        assert f' {name}: ' in line
    assert 'd3.' not in line and 'loss_layers' not in line
    for name in names:
        expected = sum(sums[name][-window:]) / window
        assert tag[name] == pytest.approx(expected)
        shown = float(line.split(f' {name}: ')[1].split()[0])
        assert shown == pytest.approx(expected, abs=1e-4)
        assert len([k for k in tag if k.startswith('loss_layers/') and
                    k.endswith(name)]) == 10
    assert tag['loss_layers/d3.loss_dice'] == pytest.approx(
        sum(0.4 + 3 + it for it in range(5)[-window:]) / window)
