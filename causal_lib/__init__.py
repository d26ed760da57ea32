"""causal_lib: the library of *Causal Inference for Recommender Systems*.

Every estimator takes a DataFrame first and column names as keyword-only
arguments, never modifies its input, and returns an :class:`EffectEstimate`.
Modules: ``estimators`` (effects), ``matching`` (matching, balance and
overlap), ``dml`` (double machine learning), ``sensitivity`` (unobserved
confounding), ``uplift`` (uplift metrics), ``metalearners`` (CATE
learners), ``evaluation`` (offline causal evaluation of recommenders),
``feedback`` (biased feedback: ratings missing not at random, position
bias), ``ope`` (off-policy evaluation), ``bandits`` (learning policies that
log their probabilities), ``timeseries`` (Causal Impact), ``panel``
(difference in differences, synthetic control), ``iv`` (instrumental
variables), ``experiments`` (ratio metrics, sequential tests, SRM,
interleaving), ``dag`` (causal graphs), ``simulate`` (data with known
truth), ``datasets`` (real data), ``plotting`` (figures).

The off-policy estimators are used through their module, e.g.
``causal_lib.ope.ipw``, because ``causal_lib.ipw`` is the inverse
probability weighting estimator of an average treatment effect; so are
the biased-feedback metrics, e.g. ``causal_lib.feedback.mse``, and the
bandit policies, e.g. ``causal_lib.bandits.ThompsonSampling``.
"""

from causal_lib import bandits, feedback, ope
from causal_lib.dag import DAG, LinearSEM
from causal_lib.dml import dml, partialling_out
from causal_lib.estimate import EffectEstimate
from causal_lib.evaluation import (
    causal_precision_at_k,
    in_top_k,
    ips_effect,
    precision_at_k,
    uplift_at_n,
)
from causal_lib.experiments import (
    interleaving_preference,
    ratio_metric,
    sequential_test,
    srm_test,
    team_draft,
)
from causal_lib.estimators import (
    PositivityWarning,
    aipw,
    difference_in_means,
    ipw,
    propensity_score,
    regression_adjustment,
)
from causal_lib.iv import WeakInstrumentWarning, first_stage_f, tsls, wald
from causal_lib.matching import (
    balance_table,
    match,
    matching_weights,
    trim_by_propensity,
)
from causal_lib.metalearners import DRLearner, SLearner, TLearner, XLearner
from causal_lib.panel import (
    callaway_santanna,
    did,
    event_study,
    group_time_effects,
    synthetic_control,
)
from causal_lib.sensitivity import (
    AdjustedEstimate,
    EValue,
    adjusted_estimate,
    e_value,
    partial_r2,
    risk_ratio_from_difference,
    risk_ratio_from_mean_difference,
    robustness_value,
)
from causal_lib.timeseries import causal_impact
from causal_lib.uplift import (
    perfect_qini_curve,
    perfect_uplift_curve,
    qini_auc,
    qini_curve,
    uplift_at_share,
    uplift_auc,
    uplift_curve,
)

__all__ = [
    "AdjustedEstimate",
    "DAG",
    "DRLearner",
    "EValue",
    "EffectEstimate",
    "LinearSEM",
    "PositivityWarning",
    "SLearner",
    "TLearner",
    "WeakInstrumentWarning",
    "XLearner",
    "adjusted_estimate",
    "aipw",
    "balance_table",
    "bandits",
    "callaway_santanna",
    "causal_impact",
    "causal_precision_at_k",
    "did",
    "difference_in_means",
    "dml",
    "e_value",
    "event_study",
    "feedback",
    "first_stage_f",
    "group_time_effects",
    "in_top_k",
    "interleaving_preference",
    "ips_effect",
    "ipw",
    "match",
    "matching_weights",
    "ope",
    "partial_r2",
    "partialling_out",
    "perfect_qini_curve",
    "perfect_uplift_curve",
    "precision_at_k",
    "propensity_score",
    "qini_auc",
    "qini_curve",
    "ratio_metric",
    "regression_adjustment",
    "risk_ratio_from_difference",
    "risk_ratio_from_mean_difference",
    "robustness_value",
    "sequential_test",
    "srm_test",
    "synthetic_control",
    "team_draft",
    "trim_by_propensity",
    "tsls",
    "uplift_at_n",
    "uplift_at_share",
    "uplift_auc",
    "uplift_curve",
    "wald",
]
__version__ = "0.1.0"
