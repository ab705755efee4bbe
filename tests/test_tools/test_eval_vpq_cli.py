"""The VPQ job (omgseg.evaluation.offline.vpq) and its command line,
tools/analysis_tools/eval_vpq.py, on a tiny VIPSeg-layout submission, and VideoPanopticMetric,
whose outfile_prefix submission the job scores to the metric's own numbers."""
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import PixelData
from PIL import Image

from omgseg.evaluation.functional import PQStat, id2rgb, rgb2id, vpq_summary, vpq_video_stats
from omgseg.evaluation.metrics import VideoPanopticMetric
from omgseg.evaluation.offline.vpq import vpq_compute_files
from tests.test_evaluation.test_vpq import CATS, REAPPEAR, frames, seg

SCRIPT = Path(__file__).resolve().parents[2] / 'tools' / 'analysis_tools' / 'eval_vpq.py'

CATEGORIES = [{'id': c, 'name': v['name'], 'isthing': v['isthing']} for c, v in CATS.items()]
VOID_FRAME = (frames([[1, 1, 2, 2], [0, 0, 0, 0], [1, 1, 2, 2], [1, 2, 2, 2]]),
              [[seg(1, 1), seg(2, 3)], [], [seg(1, 1), seg(2, 3)], [seg(1, 1), seg(2, 3)]],
              frames([[10, 10, 20, 20], [10, 10, 10, 20], [30, 20, 20, 20], [10, 10, 20, 20]]),
              [[seg(10, 1), seg(20, 3)], [seg(10, 1), seg(20, 3)], [seg(30, 2), seg(20, 3)],
               [seg(10, 1), seg(20, 3)]])
VIDEOS = {'1_reappear': REAPPEAR, '2_void': VOID_FRAME}


def write_layout(root: Path, videos=VIDEOS, categories=CATEGORIES):
    """GT json + panomasksRGB/ + sub/pred.json + sub/pan_pred/ in the official layout."""
    gt_videos, gt_anns, pred_anns = [], [], []
    for name, (gts, gss, preds, pss) in videos.items():
        images, anns, p_anns = [], [], []
        for i, (g, gs, p, ps) in enumerate(zip(gts, gss, preds, pss)):
            file_name = f'{i:08d}.png'
            for folder, arr in (('panomasksRGB', g), ('sub/pan_pred', p)):
                (root / folder / name).mkdir(parents=True, exist_ok=True)
                Image.fromarray(id2rgb(arr)).save(root / folder / name / file_name)
            images.append({'file_name': file_name, 'id': f'{i:08d}', 'height': g.shape[0],
                               'width': g.shape[1]})
            anns.append({'file_name': file_name, 'image_id': f'{i:08d}', 'segments_info': [
                dict(s, area=int((g == s['id']).sum()), bbox=[0, 0, 1, 1]) for s in gs]})
            p_anns.append({'file_name': file_name, 'segments_info': ps})
        gt_videos.append({'video_id': name, 'images': images})
        gt_anns.append({'video_id': name, 'annotations': anns})
        pred_anns.append({'video_id': name, 'annotations': p_anns})
    (root / 'gt.json').write_text(json.dumps({'videos': gt_videos, 'annotations': gt_anns,
                                                  'categories': categories}))
    (root / 'sub' / 'pred.json').write_text(json.dumps({'annotations': pred_anns}))


def cli_args(root: Path, *extra):
    return ['--gt-json', str(root / 'gt.json'), '--gt-folder', str(root / 'panomasksRGB'),
            '--pred-dir', str(root / 'sub'), '--out', str(root / 'out' / 'vpq.json'), *extra]


def compute(root: Path, **kwargs) -> dict:
    """The job's summary of the layout under ``root`` (``vpq_compute_files``)."""
    return vpq_compute_files(str(root / 'gt.json'), str(root / 'panomasksRGB'),
                             str(root / 'sub'), **kwargs)[0]


def flat(d, prefix=''):
    """Nested dict -> ``{'a/b/c': leaf}`` (pytest.approx compares flat dicts only)."""
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(flat(v, f'{prefix}{k}/'))
        else:
            out[prefix + k] = v
    return out


def expected_summary(videos=VIDEOS, windows=(1, 2, 4, 6, 8)):
    stats = {k: PQStat() for k in windows}
    for gts, gss, preds, pss in videos.values():
        for k, st in vpq_video_stats(gts, gss, preds, pss, CATS, windows=windows).items():
            stats[k] += st
    return vpq_summary(stats, CATS)


@pytest.mark.parametrize('nproc', ['1', '2'])
def test_cli_values_and_schema(tmp_path, nproc):
    write_layout(tmp_path)
    proc = subprocess.run([sys.executable, str(SCRIPT), *cli_args(tmp_path, '--nproc', nproc)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert 'VPQ_omg' in proc.stdout
    res = json.loads((tmp_path / 'out' / 'vpq.json').read_text())
    assert set(res) == {'VPQ', 'VPQ_omg', 'windows'}
    assert list(res['windows']) == ['1', '2', '4', '6', '8']
    for win in res['windows'].values():
        assert set(win) == {'All', 'Things', 'Stuff'}
        for part in win.values():
            assert set(part) == {'pq', 'sq', 'rq', 'n'} and 0 <= part['pq'] <= 1
    assert flat(res) == pytest.approx(flat(expected_summary()), abs=1e-12)
    # hand check: window 4 only fits the 4-frame video. Person tube 1 (5 px) vs pred 10
    # (7 px, 3 on void, 3 shared): 3/(7+5-3-3) = 0.5 -> FN + FP; car 30 FP; sky tube 7 px vs
    # pred 20 (8 px, 1 on void, 6 shared): 6/(8+7-6-1) = 3/4.
    w4 = res['windows']['4']
    assert w4['Stuff']['pq'] == pytest.approx(3 / 4, abs=1e-12)
    assert w4['Things'] == {'pq': 0.0, 'sq': 0.0, 'rq': 0.0, 'n': 2}


def test_job_windows_option(tmp_path):
    write_layout(tmp_path)
    res = compute(tmp_path, windows=(1, 3), nproc=1)
    assert list(res['windows']) == ['1', '3'] and 'VPQ_omg' not in res
    assert flat(res) == pytest.approx(flat(expected_summary(windows=(1, 3))), abs=1e-12)


def _edit_json(path: Path, fn):
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data))


def _drop_video(d):
    d['annotations'] = d['annotations'][1:]


def _extra_pred_segment(d):
    d['annotations'][0]['annotations'][0]['segments_info'].append(seg(99, 1))


def _drop_pred_segment(d):
    d['annotations'][0]['annotations'][0]['segments_info'].pop()


def _unknown_category(d):
    d['annotations'][0]['annotations'][0]['segments_info'][0]['category_id'] = 42


def _category_change(d):
    d['annotations'][0]['annotations'][2]['segments_info'][0]['category_id'] = 2


@pytest.mark.parametrize('edit, message', [
    (_drop_video, r"video '1_reappear' of the GT has no prediction in .*pred\.json"),
    (_extra_pred_segment, (r'ids \[99\] are in the JSON segments_info but not in the PNG '
                           r'of .*1_reappear/00000000\.png')),
    (_drop_pred_segment, (r'ids \[20\] are in the PNG but not in the JSON segments_info '
                          r'of .*1_reappear/00000000\.png')),
    (_unknown_category, r'unknown category_id 42 in .*1_reappear/00000000\.png'),
    (_category_change, (r"segment id 10 has category_id 2 in frame .*00000002\.png "
                        r"of video '1_reappear'")),
])
def test_job_bad_prediction_json(tmp_path, edit, message):
    write_layout(tmp_path)
    _edit_json(tmp_path / 'sub' / 'pred.json', edit)
    with pytest.raises(ValueError) as err:
        compute(tmp_path, nproc=1)
    assert re.search(message, str(err.value))


def test_missing_png_and_size_mismatch(tmp_path):
    write_layout(tmp_path)
    png = tmp_path / 'sub' / 'pan_pred' / '2_void' / '00000001.png'
    png.unlink()
    # the command line: exit code 1 and the one-line message, no traceback
    proc = subprocess.run([sys.executable, str(SCRIPT), *cli_args(tmp_path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == f'error: panoptic PNG not found: {png} (video \'2_void\')'
    Image.fromarray(id2rgb(np.array([[10, 10, 10, 20, 20]]))).save(png)
    with pytest.raises(ValueError) as err:  # raised in a worker, re-raised here
        compute(tmp_path, nproc=2)
    assert f'{png} is 5x1 (WxH) but its GT' in str(err.value) and '4x1' in str(err.value)


# ---- VideoPanopticMetric ------------------------------------------------------------------
# labels: 0 person (raw 3), 1 car (raw 4), 2 sky (raw 0); panomask person k = 400 + k, sky = 1
META = {'classes': ('person', 'car', 'sky'), 'thing_classes': ('person', 'car'),
            'stuff_classes': ('sky',), 'raw_class_ids': (3, 4, 0)}
RAW_CATEGORIES = [{'id': 3, 'name': 'person', 'isthing': 1}, {'id': 4, 'name': 'car', 'isthing': 1},
                  {'id': 0, 'name': 'sky', 'isthing': 0}]
PANOMASKS = [np.array(m, dtype=np.uint16) for m in (
    [[401, 401, 1, 1], [0, 402, 1, 1]],
    [[1, 401, 401, 1], [0, 402, 402, 1]],
    [[1, 1, 401, 401], [0, 0, 1, 1]])]
PRED_IDS = [np.array(m) for m in (
    [[7, 7, 5, 5], [5, 8, 5, 5]],
    [[5, 7, 7, 5], [8, 8, 8, 5]],
    [[5, 5, 7, 5], [8, 5, 5, 5]])]
PRED_INFO = {7: {'id': 7, 'category_id': 0}, 8: {'id': 8, 'category_id': 1},
             5: {'id': 5, 'category_id': 2}, 9: {'id': 9, 'category_id': 0}}
LABEL_OF = {401: 0, 402: 0, 1: 2}


def _track_sample(root: Path, pred_ids=PRED_IDS, pred_info=PRED_INFO, video='0_toy'):
    (root / 'panomasks' / video).mkdir(parents=True, exist_ok=True)
    track = TrackDataSample(metainfo={'video_id': 0, 'video_name': video})
    samples = []
    for t, (mask, ids) in enumerate(zip(PANOMASKS, pred_ids)):
        path = root / 'panomasks' / video / f'{t:08d}.png'
        Image.fromarray(mask).save(path)
        frame = DetDataSample(metainfo={'img_path': str(path).replace('.png', '.jpg'),
                                            'seg_map_path': str(path), 'ori_shape': mask.shape,
                                            'frame_id': t})
        # tube 9 never shows up: listed segments without pixels are dropped
        infos = [dict(pred_info[i], isthing=int(pred_info[i]['category_id'] < 2), score=1.0)
                 for i in sorted(pred_info)]
        frame.pred_panoptic_seg = PixelData(sem_seg=torch.from_numpy(ids)[None],
                                            metainfo={'segments_info': infos})
        sem = np.vectorize(lambda i: pred_info[int(i)]['category_id'])(ids)
        frame.pred_sem_seg = PixelData(sem_seg=torch.from_numpy(sem)[None])
        samples.append(frame)
    track.video_data_samples = samples
    return track


def _write_gt(root: Path, video='0_toy'):
    """The CLI's GT (raw class ids, panomasksRGB) for the metric's panomasks."""
    images, anns = [], []
    for t, mask in enumerate(PANOMASKS):
        name = f'{t:08d}.png'
        (root / 'panomasksRGB' / video).mkdir(parents=True, exist_ok=True)
        Image.fromarray(id2rgb(mask.astype(np.int64))).save(root / 'panomasksRGB' / video / name)
        images.append({'file_name': name, 'id': name[:-4], 'height': 2, 'width': 4})
        anns.append({'file_name': name, 'image_id': name[:-4], 'segments_info': [
            {'id': int(v), 'category_id': 3 if v > 128 else 0, 'iscrowd': 0,
                 'area': int((mask == v).sum())} for v in np.unique(mask) if v]})
    (root / 'gt.json').write_text(json.dumps({
        'videos': [{'video_id': video, 'images': images}],
        'annotations': [{'video_id': video, 'annotations': anns}], 'categories': RAW_CATEGORIES}))


def test_metric_matches_the_job_on_its_own_submission(tmp_path):
    metric = VideoPanopticMetric(outfile_prefix=str(tmp_path / 'sub'))
    metric.dataset_meta = META
    metric.process({}, [_track_sample(tmp_path).to_dict()])
    out = metric.evaluate(1)
    assert set(out) == {f'vipseg/{k}' for k in ('VPQ', 'VPQ_th', 'VPQ_st', 'VPQ@1', 'VPQ@2',
                                                 'VPQ@4', 'VPQ@6', 'VPQ@8', 'VPQ_omg', 'mIoU')}
    _write_gt(tmp_path)
    res = compute(tmp_path, nproc=1)
    assert out['vipseg/VPQ'] == pytest.approx(100 * res['VPQ'], abs=1e-9)
    assert out['vipseg/VPQ_omg'] == pytest.approx(100 * res['VPQ_omg'], abs=1e-9)
    for k in ('1', '2'):
        assert out[f'vipseg/VPQ@{k}'] == pytest.approx(100 * res['windows'][k]['All']['pq'],
                                                       abs=1e-9)
    # hand check, k=1: sky 5 vs 1: f0 4/(5+4-4-1) = 1, f1 3/3, f2 4/(6+4-4-1) = 4/5
    sky_ious = [1, 1, 4 / 5]
    # person 7 vs 401 (2 px each): f0 IoU 1, f1 1, f2 1/(1+2-1)=0.5 -> FN+FP; 402 has no
    # person prediction (8 is a car) -> FN in f0/f1; car 8: FP in f0, f1 (not on void),
    # f2 on void -> ignored.
    person_pq = 2 / (2 + 0.5 * 1 + 0.5 * 3)
    sky_pq = sum(sky_ious) / 3
    assert out['vipseg/VPQ@1'] == pytest.approx(100 * (person_pq + 0 + sky_pq) / 3, abs=1e-9)
    assert out['vipseg/VPQ_st'] == pytest.approx(
        100 * np.mean([res['windows'][k]['Stuff']['pq'] for k in ('1', '2')]), abs=1e-9)
    pred_json = json.loads((tmp_path / 'sub' / 'pred.json').read_text())
    first = pred_json['annotations'][0]['annotations'][0]
    assert first['file_name'] == '00000000.png'
    assert sorted((s['id'], s['category_id']) for s in first['segments_info']) == [
        (5, 0), (7, 3), (8, 4)]  # raw VIPSeg class ids; absent tube 9 left out


def test_metric_semantic_miou(tmp_path):
    metric = VideoPanopticMetric(windows=(1,), vss=True)
    metric.dataset_meta = META
    metric.process({}, [_track_sample(tmp_path)])
    out = metric.evaluate(1)
    gt = np.stack([np.vectorize(lambda v: LABEL_OF.get(int(v), -1))(m) for m in PANOMASKS])
    pred = np.stack([np.vectorize(lambda i: PRED_INFO[int(i)]['category_id'])(p)
                     for p in PRED_IDS])
    valid = gt >= 0
    ious = []
    for c in range(3):
        inter = ((gt == c) & (pred == c) & valid).sum()
        union = (((gt == c) | (pred == c)) & valid).sum()
        if union:
            ious.append(inter / union)
    assert out['vipseg/mIoU'] == pytest.approx(100 * np.mean(ious), abs=1e-9)
    assert 'vipseg/VPQ_omg' not in out  # windows 2, 4, 6 not evaluated


def test_metric_errors(tmp_path):
    metric = VideoPanopticMetric()
    metric.dataset_meta = META
    small = [p[:, :3] for p in PRED_IDS]
    with pytest.raises(ValueError, match=r'prediction of .*00000000\.png is 3x2 \(WxH\) but the '
                                         r'GT is 4x2'):
        metric.process({}, [_track_sample(tmp_path, pred_ids=small)])
    with pytest.raises(ValueError, match=r"prediction segment id 7 has category_id 1 in frame "
                                         r".*00000001\.png of video '0_toy'"):
        bad = _track_sample(tmp_path)
        bad.video_data_samples[1].pred_panoptic_seg.set_metainfo({'segments_info': [
            {'id': 7, 'category_id': 1}, {'id': 8, 'category_id': 1}, {'id': 5, 'category_id': 2}]})
        metric.process({}, [bad])
    with pytest.raises(ValueError, match='format_only=True needs outfile_prefix'):
        VideoPanopticMetric(format_only=True)
    metric.results = [{'video': 'a', 'frames': [], 'conf': None, 'stats': {}},
                      {'video': 'a', 'frames': [], 'conf': None, 'stats': {}}]
    with pytest.raises(ValueError, match=r"videos \['a'\] arrive in several samples"):
        metric.compute_metrics(metric.results)


def test_metric_format_only_writes_without_gt(tmp_path):
    metric = VideoPanopticMetric(outfile_prefix=str(tmp_path / 'sub'), format_only=True)
    metric.dataset_meta = META
    sample = _track_sample(tmp_path)
    for frame in sample.video_data_samples:
        frame.set_metainfo({'seg_map_path': None})
    metric.process({}, [sample])
    assert metric.evaluate(1) == {}
    assert (tmp_path / 'sub' / 'pred.json').is_file()
    png = np.asarray(Image.open(tmp_path / 'sub' / 'pan_pred' / '0_toy' / '00000002.png'))
    assert (rgb2id(png) == PRED_IDS[2]).all()
