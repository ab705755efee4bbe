"""Small utilities (``safe_load``: checkpoint allow-list; ``launch``: tool config handling)."""
