"""File-based evaluation jobs, one module per benchmark: a submission folder or results file
against its official ground truth (``panoptic``: COCO-format PQ, ``vpq``: VIPSeg VPQ, ``ytvis``:
YouTube-VIS mask AP, ``davis``: DAVIS 2017 J&F; all numpy / Pillow only, so worker processes
start fast) and ``interactive_noc`` (NoC@85/90 of a model by simulated clicks; torch).

Nothing is imported here: each job imports only what it needs.
"""
