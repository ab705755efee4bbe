"""Datasets, vocabularies, pipeline steps and the toy world.

Submodules are imported where needed (``omgseg.register`` imports the registered ones), so the
torch-free parts (``omgseg.datasets.toy``, ``omgseg.datasets.metainfo``) stay cheap to import.
"""
