"""Interactive prompts: the prompt encoder and GT-mask prompt sampling."""
from .prompt_encoder import PromptEncoder
from .sampling import (BOX, POINT, interior_point, mask_boxes, point_boxes, random_points,
                       sam_eval_prompts, sam_training_prompts)

__all__ = ['BOX', 'POINT', 'PromptEncoder', 'interior_point', 'mask_boxes', 'point_boxes',
           'random_points', 'sam_eval_prompts', 'sam_training_prompts']
