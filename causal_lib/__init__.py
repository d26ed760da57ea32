"""causal_lib: the helper library of *Causal Inference for Recommender Systems*.

Every estimator takes a DataFrame first and column names as keyword-only
arguments, never modifies its input, and returns an :class:`EffectEstimate`.
"""

from causal_lib.estimate import EffectEstimate
from causal_lib.estimators import difference_in_means

__all__ = ["EffectEstimate", "difference_in_means"]
__version__ = "0.1.0"
