"""Inferencer writers: the files load in the project's own evaluators and pycocotools, and
score perfectly against themselves; overlays have the input's frames and frame rate."""
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from omgseg.apis import OMGSegInferencer
from omgseg.apis.infer_writers import writers_for
from tests.test_apis.infer_fixtures import FPS, NUM_FRAMES, infer_assets  # noqa: F401


@pytest.fixture(scope='module')
def inferencer(infer_assets, tmp_path_factory):
    return OMGSegInferencer(infer_assets['config'], infer_assets['checkpoint'], device='cpu',
                            cache_dir=tmp_path_factory.mktemp('cache'), progress=False)


def _write(inferencer, inputs, task, out, **kwargs):
    writers = writers_for(task, out, prompts=kwargs.pop('marks', None))

    def on_frame(video, frame, rgb):
        for w in writers:
            w.add(video, frame, rgb)
    videos = inferencer(inputs, task=task, on_frame=on_frame, **kwargs)
    return videos, [p for w in writers for p in w.finish()]


def test_panoptic_png_json_score_100_pq_against_themselves(inferencer, infer_assets, tmp_path):
    from omgseg.evaluation.offline.panoptic import pq_compute_files
    from omgseg.structures.panoptic_ids import rgb2id
    videos, files = _write(inferencer, [infer_assets['image'], infer_assets['frames']],
                           'panoptic', tmp_path)
    pred = json.loads((tmp_path / 'panoptic.json').read_text())
    assert len(pred['annotations']) == 1 + NUM_FRAMES
    assert [c['isthing'] for c in pred['categories']] == [1] * 5 + [0] * 3
    ann = pred['annotations'][-1]
    assert ann['file_name'] == f'frames/f{NUM_FRAMES - 1}.png'
    ids = rgb2id(np.asarray(Image.open(tmp_path / 'panoptic' / ann['file_name'])))
    assert np.array_equal(ids, videos[1].frames[-1].id_map)
    summary, _ = pq_compute_files(tmp_path / 'panoptic.json', tmp_path / 'panoptic.json',
                                  tmp_path / 'panoptic', tmp_path / 'panoptic', nproc=1,
                                  progress=False)
    assert summary['All']['n'] > 0 and summary['All']['pq'] == pytest.approx(1.0)
    overlays = sorted(p.name for p in (tmp_path / 'overlays').iterdir())
    assert overlays == ['f0.png', 'frames.mp4']


def test_instances_load_in_pycocotools_and_ytvis(inferencer, infer_assets, tmp_path):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    from omgseg.evaluation.offline.ytvis import ytvis_evaluate_files
    from omgseg.visualization.video_io import open_video
    videos, _ = _write(inferencer, [infer_assets['image'], infer_assets['video']], 'instance',
                       tmp_path)
    dets = json.loads((tmp_path / 'coco_instances.json').read_text())
    cats = json.loads((tmp_path / 'categories.json').read_text())
    ids = json.loads((tmp_path / 'index.json').read_text())
    assert ids == {'f0': 1, 'clip': 2} and len(dets) > 0
    # GT made of the detections themselves: pycocotools must load and score them AP 1
    gt = COCO()
    gt.dataset = dict(images=[dict(id=1, height=72, width=96)], categories=cats, annotations=[
        dict(id=i + 1, image_id=1, category_id=d['category_id'], segmentation=d['segmentation'],
             area=float(d['bbox'][2] * d['bbox'][3]), bbox=d['bbox'], iscrowd=0)
        for i, d in enumerate(dets)])
    gt.createIndex()
    ev = COCOeval(gt, gt.loadRes(str(tmp_path / 'coco_instances.json')), 'segm')
    ev.evaluate(), ev.accumulate(), ev.summarize()
    assert ev.stats[0] == pytest.approx(1.0)
    results = json.loads((tmp_path / 'ytvis_results.json').read_text())
    assert len(results) == len(videos[1].tracks)
    assert all(r['video_id'] == 2 and len(r['segmentations']) == NUM_FRAMES for r in results)
    kept = [r for r in results if any(results_rle for results_rle in r['segmentations'])]
    gt_json = dict(videos=[dict(id=2, height=72, width=96, length=NUM_FRAMES)],
                   categories=cats, annotations=[
                       dict(id=i + 1, video_id=2, category_id=r['category_id'], iscrowd=0,
                            segmentations=r['segmentations']) for i, r in enumerate(kept)])
    (tmp_path / 'gt.json').write_text(json.dumps(gt_json))
    stats = ytvis_evaluate_files(str(tmp_path / 'gt.json'), str(tmp_path / 'ytvis_results.json'))
    assert stats['AP'] == pytest.approx(1.0)
    mp4 = open_video(tmp_path / 'overlays' / 'clip.mp4')
    assert mp4.fps == pytest.approx(FPS) and len(list(mp4)) == NUM_FRAMES


def test_davis_pngs_score_jf_1_in_the_davis_evaluator(inferencer, infer_assets, tmp_path):
    from omgseg.evaluation.offline.davis import davis_evaluate_folder, read_index_png
    videos, _ = _write(inferencer, infer_assets['frames'], 'vos', tmp_path / 'out',
                       first_frame_mask=infer_assets['mask'])
    seq = tmp_path / 'out' / 'davis' / 'frames'
    pngs = sorted(seq.iterdir())
    assert [p.stem for p in pngs] == [f'f{t}' for t in range(NUM_FRAMES)]
    for frame, png in zip(videos[0].frames, pngs):
        assert np.array_equal(read_index_png(str(png), 'result'), frame.id_map)
    root = tmp_path / 'davis_root'                   # the results as their own ground truth
    shutil.copytree(seq, root / 'Annotations' / '480p' / 'frames')
    (root / 'ImageSets' / '2017').mkdir(parents=True)
    (root / 'ImageSets' / '2017' / 'val.txt').write_text('frames\n')
    summary = davis_evaluate_folder(str(root), str(tmp_path / 'out' / 'davis'), nproc=1)
    assert summary['J&F-Mean'] == pytest.approx(1.0)


def test_semantic_pngs_hold_the_label_maps(inferencer, infer_assets, tmp_path):
    videos, _ = _write(inferencer, infer_assets['image'], 'semantic', tmp_path)
    saved = np.asarray(Image.open(tmp_path / 'semantic' / 'f0.png'))
    assert saved.dtype == np.uint8 and np.array_equal(saved, videos[0].frames[0].semantic)


def test_interactive_overlay_marks_prompts(inferencer, infer_assets, tmp_path):
    from omgseg.apis.inferencer import parse_prompts
    prompts = dict(points=[[30, 30]], boxes=[[10, 10, 60, 50]])
    _write(inferencer, infer_assets['image'], 'interactive', tmp_path, prompts=prompts,
           marks=parse_prompts(prompts))
    overlay = np.asarray(Image.open(tmp_path / 'overlays' / 'f0.png'))
    plain = np.asarray(Image.open(infer_assets['image']).convert('RGB'))
    assert overlay.shape == plain.shape and (overlay != plain).any()
    assert (tmp_path / 'davis' / 'f0' / 'f0.png').is_file()
