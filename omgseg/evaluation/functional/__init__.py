"""Pure numpy metrics (no torch): panoptic quality and semantic mIoU."""
from .panoptic import (OFFSET, VOID, PQStat, PQStatCat, format_pq_table, id2rgb,
                       pq_average, pq_compute_single, pq_summary, rgb2id)
from .semantic import confusion_matrix, miou_from_confusion

__all__ = [
    'OFFSET', 'VOID', 'PQStat', 'PQStatCat', 'rgb2id', 'id2rgb', 'pq_compute_single',
    'pq_average', 'pq_summary', 'format_pq_table', 'confusion_matrix', 'miou_from_confusion',
]
