"""Class lists of the video datasets (plain data, no imports).

Sources (checked while writing this file):

* VIPSeg: OMG-Seg ``ext/class_names/VIPSeg.py`` (lxtGH/OMG-Seg, commit 623769b), which copies
  VIPSeg-Dataset's 124-class list. Raw ids 0..123 are the panomask classes
  (see ``omgseg.datasets.vipseg_format``); OMG-Seg's label order is its ``CLASSES_THING`` (58)
  then ``CLASSES_STUFF`` (66), each in raw-id order, which is what ``VIPSEG_CLASSES`` below
  reproduces.
* YouTube-VIS 2019 / 2021: the official json category lists (ids 1..40), as repeated in
  Mask2Former ``mask2former_video/data_video/datasets/ytvis.py`` and mmdet 3.3
  ``mmdet/datasets/youtube_vis_dataset.py``.
"""

# (raw id, name, isthing) for raw ids 0..123.
VIPSEG_CLASSES = (
    (0, 'wall', 0), (1, 'ceiling', 0), (2, 'door', 1), (3, 'stair', 0), (4, 'ladder', 1),
    (5, 'escalator', 0), (6, 'Playground_slide', 0), (7, 'handrail_or_fence', 0),
    (8, 'window', 1), (9, 'rail', 0), (10, 'goal', 1), (11, 'pillar', 0), (12, 'pole', 0),
    (13, 'floor', 0), (14, 'ground', 0), (15, 'grass', 0), (16, 'sand', 0),
    (17, 'athletic_field', 0), (18, 'road', 0), (19, 'path', 0), (20, 'crosswalk', 0),
    (21, 'building', 0), (22, 'house', 0), (23, 'bridge', 0), (24, 'tower', 0),
    (25, 'windmill', 0), (26, 'well_or_well_lid', 0), (27, 'other_construction', 0),
    (28, 'sky', 0), (29, 'mountain', 0), (30, 'stone', 0), (31, 'wood', 0), (32, 'ice', 0),
    (33, 'snowfield', 0), (34, 'grandstand', 0), (35, 'sea', 0), (36, 'river', 0),
    (37, 'lake', 0), (38, 'waterfall', 0), (39, 'water', 0),
    (40, 'billboard_or_Bulletin_Board', 0), (41, 'sculpture', 1), (42, 'pipeline', 0),
    (43, 'flag', 1), (44, 'parasol_or_umbrella', 1), (45, 'cushion_or_carpet', 0),
    (46, 'tent', 1), (47, 'roadblock', 1), (48, 'car', 1), (49, 'bus', 1), (50, 'truck', 1),
    (51, 'bicycle', 1), (52, 'motorcycle', 1), (53, 'wheeled_machine', 0),
    (54, 'ship_or_boat', 1), (55, 'raft', 1), (56, 'airplane', 1), (57, 'tyre', 0),
    (58, 'traffic_light', 0), (59, 'lamp', 0), (60, 'person', 1), (61, 'cat', 1),
    (62, 'dog', 1), (63, 'horse', 1), (64, 'cattle', 1), (65, 'other_animal', 1),
    (66, 'tree', 0), (67, 'flower', 0), (68, 'other_plant', 0), (69, 'toy', 0),
    (70, 'ball_net', 0), (71, 'backboard', 0), (72, 'skateboard', 1), (73, 'bat', 0),
    (74, 'ball', 1), (75, 'cupboard_or_showcase_or_storage_rack', 0), (76, 'box', 1),
    (77, 'traveling_case_or_trolley_case', 1), (78, 'basket', 1), (79, 'bag_or_package', 1),
    (80, 'trash_can', 0), (81, 'cage', 0), (82, 'plate', 1), (83, 'tub_or_bowl_or_pot', 1),
    (84, 'bottle_or_cup', 1), (85, 'barrel', 1), (86, 'fishbowl', 1), (87, 'bed', 1),
    (88, 'pillow', 1), (89, 'table_or_desk', 1), (90, 'chair_or_seat', 1), (91, 'bench', 1),
    (92, 'sofa', 1), (93, 'shelf', 0), (94, 'bathtub', 0), (95, 'gun', 1), (96, 'commode', 1),
    (97, 'roaster', 1), (98, 'other_machine', 0), (99, 'refrigerator', 1),
    (100, 'washing_machine', 1), (101, 'Microwave_oven', 1), (102, 'fan', 1),
    (103, 'curtain', 0), (104, 'textiles', 0), (105, 'clothes', 0),
    (106, 'painting_or_poster', 1), (107, 'mirror', 1), (108, 'flower_pot_or_vase', 1),
    (109, 'clock', 1), (110, 'book', 0), (111, 'tool', 0), (112, 'blackboard', 0),
    (113, 'tissue', 0), (114, 'screen_or_television', 1), (115, 'computer', 1),
    (116, 'printer', 1), (117, 'Mobile_phone', 1), (118, 'keyboard', 1),
    (119, 'other_electronic_product', 0), (120, 'fruit', 0), (121, 'food', 0),
    (122, 'instrument', 1), (123, 'train', 1),
)

# Category ids are 1..40 in this order in the official jsons.
YOUTUBE_VIS_2019_CLASSES = (
    'person', 'giant_panda', 'lizard', 'parrot', 'skateboard', 'sedan', 'ape', 'dog', 'snake',
    'monkey', 'hand', 'rabbit', 'duck', 'cat', 'cow', 'fish', 'train', 'horse', 'turtle', 'bear',
    'motorbike', 'giraffe', 'leopard', 'fox', 'deer', 'owl', 'surfboard', 'airplane', 'truck',
    'zebra', 'tiger', 'elephant', 'snowboard', 'boat', 'shark', 'mouse', 'frog', 'eagle',
    'earless_seal', 'tennis_racket',
)
YOUTUBE_VIS_2021_CLASSES = (
    'airplane', 'bear', 'bird', 'boat', 'car', 'cat', 'cow', 'deer', 'dog', 'duck',
    'earless_seal', 'elephant', 'fish', 'flying_disc', 'fox', 'frog', 'giant_panda', 'giraffe',
    'horse', 'leopard', 'lizard', 'monkey', 'motorbike', 'mouse', 'parrot', 'person', 'rabbit',
    'shark', 'skateboard', 'snake', 'snowboard', 'squirrel', 'surfboard', 'tennis_racket',
    'tiger', 'train', 'truck', 'turtle', 'whale', 'zebra',
)
