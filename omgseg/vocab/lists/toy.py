"""Classes of the synthetic toy world (plain data, no imports).

Things first, then stuff; a class's contiguous label is its index in ``CLASSES``. The toy
writers (``omgseg.datasets.toy``) draw and annotate these classes; the ``'toy'`` vocabulary
names them.
"""

THING_CLASSES = ('person', 'bicycle', 'car', 'bird', 'dog')
STUFF_CLASSES = ('road', 'sky', 'grass')
CLASSES = THING_CLASSES + STUFF_CLASSES
# Raw VIPSeg-style class index of each label (see omgseg/datasets/vipseg_format.py): stuff
# gets 0..2 and things 3..7, so stuff values stay <= 128 and thing values exceed it.
VIPSEG_RAW_CLASS_IDS = (3, 4, 5, 6, 7, 0, 1, 2)
