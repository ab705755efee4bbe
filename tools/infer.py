"""Segment your own images and videos (every task): overlays + machine-readable results.

    python tools/infer.py INPUT CONFIG CHECKPOINT --task panoptic|instance|semantic|vos|interactive
        --out DIR [--vocabulary a,b,c | FILE] [--stuff d,e] [--points X,Y[,1] ...]
        [--boxes X1,Y1,X2,Y2 ...] [--first-frame-mask PNG] [--device cuda:0]

See omgseg/apis/infer_cli.py (this file is a thin wrapper) and README "Run it on your own
images and videos".
"""
import os.path as osp
import sys

# runnable as a plain script from any directory
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from omgseg.apis.infer_cli import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(main())
