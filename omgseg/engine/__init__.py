from .hooks import PanopticVisualizationHook, VocabularyCheckHook

__all__ = ['PanopticVisualizationHook', 'VocabularyCheckHook']
