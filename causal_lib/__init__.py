"""causal_lib: the helper library of *Causal Inference for Recommender Systems*.

Every estimator takes a DataFrame first and column names as keyword-only
arguments, never modifies its input, and returns an :class:`EffectEstimate`.
Modules: ``estimators`` (effects), ``matching`` (matching, balance and
overlap), ``dag`` (causal graphs), ``simulate`` (data with known truth),
``datasets`` (real data), ``plotting`` (figures).
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
from causal_lib.matching import (
    balance_table,
    match,
    matching_weights,
    trim_by_propensity,
)

__all__ = [
    "EffectEstimate",
    "PositivityWarning",
    "aipw",
    "balance_table",
    "difference_in_means",
    "ipw",
    "match",
    "matching_weights",
    "propensity_score",
    "regression_adjustment",
    "trim_by_propensity",
]
__version__ = "0.1.0"
