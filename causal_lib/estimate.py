r"""The result type every estimator in :mod:`causal_lib` returns.

See chapter 3 (randomized experiments) for how an estimate, its standard
error and its confidence interval are read.
"""

from __future__ import annotations

import html
import math
from dataclasses import asdict, dataclass

import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class EffectEstimate:
    r"""An estimated causal effect with its uncertainty.

    Parameters
    ----------
    estimand : str
        What is estimated: ``"ATE"``, ``"ATT"``, ``"ATC"``, ``"CATE"``,
        ``"policy value"``...
    estimate : float
        The point estimate.
    std_error : float
        Its estimated standard error.
    ci_low, ci_high : float
        The two-sided :math:`1 - \alpha` confidence interval.
    alpha : float
        One minus the confidence level (0.05 for a 95% interval).
    n : int
        Number of units used.
    n_treated : int
        Number of treated units among them.
    method : str
        How the estimate was computed, in words.

    Notes
    -----
    Instances are immutable. :meth:`from_normal` builds the usual Wald
    interval :math:`\hat\tau \pm z_{1-\alpha/2}\,\widehat{\mathrm{se}}`.

    Examples
    --------
    >>> est = EffectEstimate.from_normal(
    ...     "ATE", 2.0, 0.5, n=100, n_treated=50, method="example")
    >>> [round(x, 3) for x in est.conf_int()]
    [1.02, 2.98]
    >>> est.summary().loc[0, "estimate"]
    np.float64(2.0)
    """

    estimand: str
    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    alpha: float
    n: int
    n_treated: int
    method: str

    @classmethod
    def from_normal(
        cls,
        estimand: str,
        estimate: float,
        std_error: float,
        *,
        n: int,
        n_treated: int,
        method: str,
        alpha: float = 0.05,
    ) -> "EffectEstimate":
        """Build an estimate with a normal-approximation interval."""
        z = stats.norm.ppf(1 - alpha / 2)
        return cls(
            estimand=estimand,
            estimate=float(estimate),
            std_error=float(std_error),
            ci_low=float(estimate - z * std_error),
            ci_high=float(estimate + z * std_error),
            alpha=float(alpha),
            n=int(n),
            n_treated=int(n_treated),
            method=method,
        )

    def conf_int(self) -> tuple[float, float]:
        """The confidence interval as ``(low, high)``."""
        return (self.ci_low, self.ci_high)

    def summary(self) -> pd.DataFrame:
        """One row with every field, ready to stack with ``pd.concat``."""
        return pd.DataFrame([asdict(self)])

    def __str__(self) -> str:
        level = round(100 * (1 - self.alpha))
        return (
            f"{self.estimand} = {self.estimate:.4g} "
            f"(SE {self.std_error:.3g}; {level}% CI "
            f"{self.ci_low:.4g} to {self.ci_high:.4g}; n = {self.n}) "
            f"[{self.method}]"
        )

    def _repr_html_(self) -> str:
        level = round(100 * (1 - self.alpha))
        cells = [
            ("estimand", self.estimand),
            ("estimate", f"{self.estimate:.4g}"),
            ("std. error", f"{self.std_error:.3g}"),
            (f"{level}% CI", f"[{self.ci_low:.4g}, {self.ci_high:.4g}]"),
            ("n (treated)", f"{self.n:,} ({self.n_treated:,})"),
            ("method", self.method),
        ]
        head = "".join(f"<th>{html.escape(k)}</th>" for k, _ in cells)
        body = "".join(f"<td>{html.escape(v)}</td>" for _, v in cells)
        return (
            '<table class="effect-estimate"><thead><tr>'
            f"{head}</tr></thead><tbody><tr>{body}</tr></tbody></table>"
        )

    def covers(self, value: float) -> bool:
        """Whether the confidence interval contains ``value``."""
        return self.ci_low <= value <= self.ci_high and not math.isnan(value)
