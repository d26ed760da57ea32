r"""The AIPW (doubly robust) score, written once (private).

Shared by :func:`causal_lib.aipw` and :class:`causal_lib.DRLearner`. For
unit :math:`i` with outcome models :math:`\hat\mu_0, \hat\mu_1` and
propensity :math:`\hat e`, the ATE score is

.. math::

    \hat\psi_i = \hat\mu_1(x_i) - \hat\mu_0(x_i)
        + \frac{T_i\,(Y_i - \hat\mu_1(x_i))}{\hat e(x_i)}
        - \frac{(1 - T_i)(Y_i - \hat\mu_0(x_i))}{1 - \hat e(x_i)} .

Each residual term is computed only for the units of its arm: a control
is never divided by :math:`\hat e` and a treated unit never by
:math:`1 - \hat e`, so a score of 0 or 1 on the side a unit does not use
gives a finite number, not 0/0.
"""

from __future__ import annotations

import numpy as np


def _arm_term(mask, residual, denominator) -> np.ndarray:
    out = np.zeros_like(residual, dtype=float)
    np.divide(residual, denominator, out=out, where=mask)
    return out


def aipw_ate_scores(y, t, mu0, mu1, e) -> np.ndarray:
    """Per-unit ATE scores; their mean is the AIPW estimate."""
    treated = t == 1
    return (mu1 - mu0
            + _arm_term(treated, y - mu1, e)
            - _arm_term(~treated, y - mu0, 1 - e))


def aipw_att_terms(y, t, mu0, e) -> np.ndarray:
    r"""Per-unit ATT terms :math:`[T - (1-T)\,e/(1-e)](Y - \mu_0)`.

    Their sum divided by the number of treated is the ATT estimate.
    """
    control = t == 0
    odds = _arm_term(control, e, 1 - e)
    return (t - odds) * (y - mu0)
