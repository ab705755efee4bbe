"""Pure numpy metrics (no torch): panoptic quality, semantic mIoU, video panoptic quality
(VPQ), YouTube-VIS mask AP, DAVIS J&F and interactive mIoU / NoC."""
from .davis import (MEASURES, davis_summary, db_boundary, db_iou, evaluate_semisupervised,
                    evaluate_sequence, format_davis_table, object_statistics)
from .interactive import (combine_click_masks, interactive_summary, interior_point, mask_iou,
                          next_click, noc, simulate_clicks, simulate_objects)
from .panoptic import (OFFSET, VOID, PQStat, PQStatCat, format_pq_table, id2rgb,
                       pq_average, pq_compute_single, pq_summary, rgb2id)
from .semantic import confusion_matrix, miou_from_confusion
from .vpq import (VideoTubeAccumulator, format_vpq_table, vpq_summary, vpq_video_stats,
                  window_mean)
from .ytvis import format_ytvis_table, write_ytvis_submission, ytvis_evaluate

__all__ = [
    'OFFSET', 'VOID', 'PQStat', 'PQStatCat', 'rgb2id', 'id2rgb', 'pq_compute_single',
    'pq_average', 'pq_summary', 'format_pq_table', 'confusion_matrix', 'miou_from_confusion',
    'VideoTubeAccumulator', 'vpq_video_stats', 'vpq_summary', 'format_vpq_table',
    'window_mean', 'ytvis_evaluate', 'format_ytvis_table', 'write_ytvis_submission',
    'MEASURES', 'db_iou', 'db_boundary', 'object_statistics', 'evaluate_sequence',
    'evaluate_semisupervised', 'davis_summary', 'format_davis_table',
    'interactive_summary', 'interior_point', 'mask_iou', 'next_click', 'noc', 'simulate_clicks',
    'combine_click_masks', 'simulate_objects',
]
