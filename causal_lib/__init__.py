"""causal_lib: the helper library of *Causal Inference for Recommender Systems*.

Every estimator takes a DataFrame first and column names as keyword-only
arguments, never modifies its input, and returns an :class:`EffectEstimate`.
Modules: ``estimators`` (effects), ``dag`` (causal graphs), ``simulate``
(data with known truth), ``datasets`` (real data), ``plotting`` (figures).
"""

from causal_lib.estimate import EffectEstimate
from causal_lib.estimators import (
    PositivityWarning,
    aipw,
    difference_in_means,
    ipw,
    propensity_score,
    regression_adjustment,
)

__all__ = [
    "EffectEstimate",
    "PositivityWarning",
    "aipw",
    "difference_in_means",
    "ipw",
    "propensity_score",
    "regression_adjustment",
]
__version__ = "0.1.0"
