r"""The result type every estimator in :mod:`causal_lib` returns.

See :ref:`ch-ab` (randomised experiments) for how an estimate, its standard
error and its confidence interval are read.
"""

from __future__ import annotations

import html
import math
import numbers
from dataclasses import asdict, dataclass

import pandas as pd
from scipy import stats

from causal_lib import _checks


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
    n_treated : int or None
        Number of treated units among them (or, where an estimator says
        so, of treated pairs); None for an estimate without a binary
        treatment, such as the slope of a continuous exposure or a
        policy value.
    method : str
        How the estimate was computed, in words.

    Raises
    ------
    TypeError
        If ``estimand`` or ``method`` is not a string, a number is not a
        number, or a count is not an integer.
    ValueError
        If ``std_error`` is negative, ``ci_low > ci_high``, ``alpha`` is
        outside (0, 1), ``n < 1`` or ``n_treated < 0``.

    Notes
    -----
    Instances are immutable. :meth:`from_normal` builds the usual Wald
    interval :math:`\hat\tau \pm z_{1-\alpha/2}\,\widehat{\mathrm{se}}`;
    :meth:`conf_int` gives the same interval at another level.

    See :ref:`ch-ab`.

    Examples
    --------
    >>> est = EffectEstimate.from_normal(
    ...     "ATE", 2.0, 0.5, n=100, n_treated=50, method="example")
    >>> [round(x, 3) for x in est.conf_int()]
    [1.02, 2.98]
    >>> est.summary().loc[0, "estimate"]
    np.float64(2.0)
    >>> [round(x, 3) for x in est.conf_int(alpha=0.1)]  # a 90% interval
    [1.178, 2.822]

    A policy value has no treated arm:

    >>> value = EffectEstimate.from_normal(
    ...     "policy value", 0.12, 0.01, n=500, n_treated=None, method="IPS")
    >>> print(value)
    policy value = 0.12 (SE 0.01; 95% CI 0.1004 to 0.1396; n = 500) [IPS]
    """

    estimand: str
    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    alpha: float
    n: int
    n_treated: int | None
    method: str

    def __post_init__(self) -> None:
        for name in ("estimand", "method"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(
                    f"{name} must be a string, got {getattr(self, name)!r}"
                )
        for name in ("estimate", "std_error", "ci_low", "ci_high"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value,
                                                         numbers.Real):
                raise TypeError(f"{name} must be a number, got {value!r}")
        if self.std_error < 0:
            raise ValueError(
                f"std_error must be non-negative, got {self.std_error}"
            )
        if self.ci_low > self.ci_high:
            raise ValueError(
                f"ci_low ({self.ci_low}) is above ci_high ({self.ci_high}); "
                "give the interval as (low, high)"
            )
        _checks.check_alpha(self.alpha)
        _checks.check_count(self.n, "n", minimum=1)
        if self.n_treated is not None:
            _checks.check_count(self.n_treated, "n_treated", minimum=0)

    @classmethod
    def from_normal(
        cls,
        estimand: str,
        estimate: float,
        std_error: float,
        *,
        n: int,
        n_treated: int | None,
        method: str,
        alpha: float = 0.05,
    ) -> "EffectEstimate":
        r"""Build an estimate with a normal-approximation interval.

        Parameters
        ----------
        estimand : str
            What is estimated, e.g. ``"ATE"``.
        estimate, std_error : float
            The point estimate and its standard error.
        n : int
            Number of units used.
        n_treated : int or None
            Number of treated units; ``None`` marks an estimate without a
            binary treatment.
        method : str
            How the estimate was computed, in words.
        alpha : float, default 0.05
            The interval is :math:`\hat\tau \pm z_{1-\alpha/2}\,
            \widehat{\mathrm{se}}`, of level :math:`1 - \alpha`.

        Returns
        -------
        EffectEstimate
        """
        alpha = _checks.check_alpha(alpha)
        z = stats.norm.ppf(1 - alpha / 2)
        return cls(
            estimand=estimand,
            estimate=float(estimate),
            std_error=float(std_error),
            ci_low=float(estimate - z * std_error),
            ci_high=float(estimate + z * std_error),
            alpha=float(alpha),
            n=_checks.check_count(n, "n", minimum=1),
            n_treated=(None if n_treated is None else _checks.check_count(
                n_treated, "n_treated", minimum=0)),
            method=method,
        )

    def conf_int(self, alpha: float | None = None) -> tuple[float, float]:
        r"""The confidence interval as ``(low, high)``.

        Parameters
        ----------
        alpha : float, optional
            One minus the confidence level wanted. None (the default) or
            the stored ``alpha`` returns the stored interval; another
            level gives the normal interval
            :math:`\hat\tau \pm z_{1-\alpha/2}\,\widehat{\mathrm{se}}`
            from ``estimate`` and ``std_error``, whatever the method that
            built the stored one.
        """
        if alpha is None:
            return (self.ci_low, self.ci_high)
        alpha = _checks.check_alpha(alpha)
        if alpha == self.alpha:
            return (self.ci_low, self.ci_high)
        z = stats.norm.ppf(1 - alpha / 2)
        return (float(self.estimate - z * self.std_error),
                float(self.estimate + z * self.std_error))

    def summary(self) -> pd.DataFrame:
        """One row with every field, ready to stack with ``pd.concat``.

        ``n_treated`` is a nullable integer column (``Int64``), so rows
        without a treated arm stack with the others as ``<NA>``.
        """
        row = pd.DataFrame([asdict(self)])
        row["n_treated"] = row["n_treated"].astype("Int64")
        return row

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
            ("n (treated)", f"{self.n:,} ({self.n_treated:,})")
            if self.n_treated is not None else ("n", f"{self.n:,}"),
            ("method", self.method),
        ]
        head = "".join(f"<th>{html.escape(k)}</th>" for k, _ in cells)
        body = "".join(f"<td>{html.escape(v)}</td>" for _, v in cells)
        return (
            '<table class="effect-estimate"><thead><tr>'
            f"{head}</tr></thead><tbody><tr>{body}</tr></tbody></table>"
        )

    def covers(self, value: float) -> bool:
        """Whether the confidence interval contains ``value``.

        Parameters
        ----------
        value : float
            A true value (of a simulation), or a value to test.

        Returns
        -------
        bool
            ``ci_low <= value <= ci_high``; False for NaN.
        """
        return self.ci_low <= value <= self.ci_high and not math.isnan(value)
