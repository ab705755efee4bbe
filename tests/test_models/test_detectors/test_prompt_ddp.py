"""Two processes (gloo, CPU) under DDP without find_unused_parameters: one draws a prompt
batch, the other an object-query batch; both steps succeed and the replicas stay equal."""
import os
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from tests.conftest import toy_cfg


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _worker(rank: int, cfg_path: str, port: int, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    torch.set_num_threads(1)
    import omgseg.register  # noqa: F401
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.structures import InstanceData
    from torch.nn.parallel import DistributedDataParallel as DDP

    from omgseg.registry import MODELS
    from tests.batches import make_batch
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(cfg_path).model)
    model.init_weights()
    model.train()
    ddp = DDP(model, find_unused_parameters=False)
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01)
    torch.manual_seed(rank)
    batch = make_batch(1, 1)
    if rank == 0:
        track = batch['data_samples'][0]
        track.set_metainfo(dict(task='interactive'))
        track.video_data_samples[0].prompts = InstanceData(
            boxes=torch.tensor([[10.0, 8.0, 16.0, 14.0], [55.0, 40.0, 61.0, 46.0]]),
            kinds=torch.zeros(2, dtype=torch.long), instances_ids=torch.tensor([11, 12]))
    for _ in range(2):
        data = model.data_preprocessor(batch, training=True)
        losses = ddp(**data, mode='loss')
        loss = sum(losses.values())
        opt.zero_grad()
        loss.backward()
        opt.step()
    flat = torch.cat([p.detach().flatten() for p in model.parameters() if p.requires_grad])
    torch.save(flat, os.path.join(out_dir, f'params_{rank}.pt'))
    dist.barrier()
    dist.destroy_process_group()


def test_prompt_and_object_batches_on_different_ranks(toy_root, tmp_path):
    cfg = toy_cfg(toy_root)
    cfg.model.panoptic_head.prompt_encoder = dict(type='PromptEncoder')
    cfg_path = str(tmp_path / 'cfg.py')
    cfg.dump(cfg_path)
    mp.spawn(_worker, args=(cfg_path, _free_port(), str(tmp_path)), nprocs=2, join=True)
    p0 = torch.load(tmp_path / 'params_0.pt')
    p1 = torch.load(tmp_path / 'params_1.pt')
    # DDP averaged the gradients of the two different kinds of batch: replicas are identical
    assert torch.equal(p0, p1)
