"""Datasets, pipeline steps and the toy world.

Submodules are imported where needed (``omgseg.register`` imports the registered ones), so the
torch-free parts (``omgseg.datasets.toy``) stay cheap to import. Vocabularies live in
``omgseg.vocab``.
"""
