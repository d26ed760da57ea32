r"""Matching, and the balance and overlap diagnostics that go with it.

:func:`match` estimates the effect on the treated by nearest-neighbour
matching, optionally with the Abadie--Imbens regression bias correction;
:func:`matching_weights` gives the same matches as weights, so
:func:`balance_table` can show covariate balance before and after
matching (or weighting); :func:`trim_by_propensity` drops units outside a
range of propensity scores. The plots are
:func:`causal_lib.plotting.plot_overlap` and
:func:`causal_lib.plotting.plot_balance`.

See :ref:`ch-conf`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from causal_lib import _checks
from causal_lib._design import check_design, covariate_matrix, fit_logit
from causal_lib.estimate import EffectEstimate

#: Same-arm neighbours used to estimate each control's conditional
#: variance in the Abadie--Imbens standard error: few, to stay local.
VARIANCE_NEIGHBORS = 2

#: Distances (in pooled standard deviations) closer than this, relative to
#: the coordinates' size, count as ties: it absorbs rounding, so that two
#: controls equally far from a treated unit on paper are tied in code.
_TIE_TOL = 1e-9

_DISTANCES = ("propensity", "mahalanobis")


# --- input helpers -----------------------------------------------------------

def _pooled_variance(values: np.ndarray, t: np.ndarray) -> np.ndarray:
    r"""Average of the two arms' sample variances, :math:`(s_1^2+s_0^2)/2`."""
    return (values[t == 1].var(axis=0, ddof=1)
            + values[t == 0].var(axis=0, ddof=1)) / 2


def _check_options(distance, n_neighbors, caliper, covariates, propensity,
                   bias_correction=False):
    """Validate the scalar options; return ``n_neighbors`` and
    ``caliper`` as plain numbers."""
    if distance not in _DISTANCES:
        raise ValueError(
            f"distance must be 'propensity' or 'mahalanobis', got "
            f"{distance!r}"
        )
    n_neighbors = _checks.check_count(n_neighbors, "n_neighbors")
    if caliper is not None:
        caliper = _checks.check_finite(caliper, "caliper")
        if caliper <= 0:
            raise ValueError(
                "caliper must be a positive number of standard deviations "
                f"(or None), got {caliper!r}"
            )
    if not isinstance(bias_correction, (bool, np.bool_)):
        raise TypeError(
            f"bias_correction must be True or False, got {bias_correction!r}"
        )
    if distance == "mahalanobis":
        if propensity is not None:
            raise ValueError(
                "propensity= is used only with distance='propensity'; "
                "Mahalanobis matching uses covariates="
            )
        if covariates is None:
            raise ValueError("distance='mahalanobis' needs covariates=")
    elif (covariates is None) == (propensity is None):
        raise ValueError(
            "give exactly one of covariates= (to estimate the propensity "
            "score) or propensity= (a column of known scores)"
        )
    if bias_correction and covariates is None:
        raise ValueError(
            "bias_correction=True regresses the outcome on covariates=; "
            "give the covariates instead of propensity="
        )
    return n_neighbors, caliper


def _columns(df, treatment, outcome, covariates, propensity):
    """Treatment (and outcome) after the shared column checks."""
    _checks.require_frame(df)
    roles = {"treatment": treatment, "outcome": outcome,
             "propensity": propensity}
    roles = {role: column for role, column in roles.items()
             if column is not None}
    _checks.require_columns(df, **roles)
    _checks.distinct_columns(**roles)
    _checks.not_covariates(covariates, df.columns, **roles)
    t = _checks.treatment_column(df, treatment)
    _checks.check_arms(np.bincount(t, minlength=2), treatment, minimum=2)
    y = None if outcome is None else _checks.numeric_column(df, outcome,
                                                            "outcome")
    return t, y


def _design(df, covariates) -> pd.DataFrame:
    """The covariate design with an intercept column, checked for
    infinite, constant and collinear columns."""
    frame = covariate_matrix(df, covariates, intercept=True)
    if "Intercept" not in frame.columns:
        frame.insert(0, "Intercept", 1.0)
    if frame.shape[1] == 1:
        raise ValueError(
            f"covariates {covariates!r} give no columns besides an intercept"
        )
    check_design(frame, covariates)
    return frame


def _known_logit(df, t, propensity) -> np.ndarray:
    """The logit of a given propensity column, after the overlap check."""
    e = _checks.numeric_column(df, propensity, "propensity")
    # The ATT needs a control like every treated unit: e = 1 raises.
    _checks.check_overlap(e, t, estimand="ATT",
                          name=f"propensity column {propensity!r}")
    zero = e == 0
    if zero.any():
        raise ValueError(
            f"propensity column {propensity!r} is exactly 0 for "
            f"{int(zero[t == 1].sum())} treated and "
            f"{int(zero[t == 0].sum())} control unit(s): matching uses its "
            "logit, which is -inf there; drop those rows (such controls "
            "can match no treated unit)"
        )
    return np.log(e) - np.log1p(-e)


def _estimated_logit(t, design: pd.DataFrame) -> np.ndarray:
    """The linear predictor of a logistic propensity model (its logit,
    without rounding the score to 1), after the overlap check."""
    params, e = fit_logit(t, design)
    _checks.check_overlap(e, t, estimand="ATT", name="estimated propensity")
    return design.to_numpy(dtype=float) @ np.asarray(params)


def _standardised(z: np.ndarray, t: np.ndarray) -> np.ndarray:
    """One coordinate in pooled standard deviations."""
    sd = np.sqrt(_pooled_variance(z, t))
    return ((z - z.mean()) / (sd if sd > 0 else 1.0))[:, None]


def _mahalanobis_points(design: pd.DataFrame, t) -> np.ndarray:
    """Points whose Euclidean distances are Mahalanobis distances with
    the pooled within-arm covariance."""
    frame = design.drop(columns="Intercept")
    X = frame.to_numpy(dtype=float)
    cov = np.atleast_2d(
        (np.cov(X[t == 1], rowvar=False) + np.cov(X[t == 0], rowvar=False))
        / 2
    )
    # check_design saw the whole sample; within the arms a column can
    # still be constant (it then separates the arms) or collinear.
    constant = np.diag(cov) <= 0
    if constant.any():
        raise ValueError(
            f"covariate column {frame.columns[constant][0]!r} is constant "
            "within both arms; Mahalanobis distance needs varying covariates"
        )
    scale = np.sqrt(np.diag(cov))
    if np.linalg.eigvalsh(cov / np.outer(scale, scale)).min() < 1e-10:
        raise ValueError(
            f"covariate columns {list(frame.columns)} are collinear within "
            "the arms (their pooled covariance matrix is singular); drop a "
            "redundant column"
        )
    # With cov = L L', |L^{-1}(x - y)| is the Mahalanobis distance.
    inverse_l = np.linalg.inv(np.linalg.cholesky(cov))
    return (X - X.mean(axis=0)) @ inverse_l.T


# --- nearest neighbours with ties ------------------------------------------
#
# Both searches return pairs (query, point) such that each query's points
# hold its m nearest units and every point tied with the m-th one. Points
# are distinct, ``counts`` says how many units sit at each.

def _tree_neighbors(tree, counts, queries, m, tol):
    """k-d tree search: ask for one point more than needed, and for twice
    as many again while the farthest point returned is still tied."""
    n_points = len(counts)
    empty = np.zeros(0, np.intp)
    rows, cols, dists = [empty], [empty], [np.zeros(0)]
    pending = np.arange(len(queries))
    k = min(n_points, m + 1)
    while len(pending):
        dist, idx = tree.query(queries[pending], k=k)
        dist = dist.reshape(len(pending), k)
        idx = idx.reshape(len(pending), k)
        reached = np.cumsum(counts[idx], axis=1) >= m
        nth = dist[np.arange(len(pending)), np.argmax(reached, axis=1)]
        done = (reached[:, -1] & (dist[:, -1] > nth + tol)) | (k == n_points)
        r, c = np.nonzero(done[:, None] & (dist <= (nth + tol)[:, None]))
        rows.append(pending[r])
        cols.append(idx[r, c])
        dists.append(dist[r, c])
        pending = pending[~done]
        k = min(n_points, 2 * k)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(dists)


def _sorted_neighbors(x, counts, q, m, tol):
    """One dimension, ``x`` sorted: the m nearest units lie among the m
    points on either side of a query, and its ties form a contiguous run."""
    n_points = len(x)
    pos = np.searchsorted(x, q)
    width = min(m, n_points)
    window = pos[:, None] + np.arange(-width, width)
    inside = (window >= 0) & (window < n_points)
    window = np.clip(window, 0, n_points - 1)
    dist = np.where(inside, np.abs(x[window] - q[:, None]), np.inf)
    order = np.argsort(dist, axis=1)
    dist = np.take_along_axis(dist, order, axis=1)
    units = np.where(np.take_along_axis(inside, order, axis=1),
                     counts[np.take_along_axis(window, order, axis=1)], 0)
    reached = np.cumsum(units, axis=1) >= m
    nth = dist[np.arange(len(q)), np.argmax(reached, axis=1)]
    lo = np.searchsorted(x, q - nth - tol, side="left")
    hi = np.searchsorted(x, q + nth + tol, side="right")
    rows = np.repeat(np.arange(len(q)), hi - lo)
    starts = np.cumsum(hi - lo) - (hi - lo)
    cols = lo[rows] + np.arange(len(rows)) - starts[rows]
    return rows, cols, np.abs(x[cols] - q[rows])


def _distinct(points: np.ndarray):
    """Distinct rows (sorted), the distinct row of each row, and counts.

    Kept for speed on tied covariates: with every row its own point,
    matching on the recommender counts of bench_matching (Mahalanobis)
    took 3.2 s instead of 67 ms at 10^4 rows (48x) and did not finish in
    10 minutes at 10^5 (0.2-0.3 s with it), because each query returns
    all of its tied controls; on continuous covariates it neither gains
    nor costs (0.4-1.2 s either way at 10^5, a noisy shared machine).
    """
    if points.shape[1] == 1:
        unique, inverse, counts = np.unique(
            points[:, 0], return_inverse=True, return_counts=True)
        return unique[:, None], inverse.reshape(-1), counts
    order = np.lexsort(points.T[::-1])
    ordered = points[order]
    first = np.ones(len(points), bool)
    first[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    group = np.cumsum(first) - 1
    inverse = np.empty(len(points), np.intp)
    inverse[order] = group
    return ordered[first], inverse, np.bincount(group)


@dataclass
class _Controls:
    """The control units' distinct points, ready for neighbour search."""

    rows: np.ndarray    # row numbers of the controls in df
    points: np.ndarray  # distinct coordinates
    of: np.ndarray      # distinct point of each control
    count: np.ndarray   # controls at each point
    tol: float
    tree: object = None

    @classmethod
    def build(cls, t, z):
        rows = np.flatnonzero(t == 0)
        points, of, count = _distinct(z[rows])
        tol = _TIE_TOL * max(1.0, float(np.abs(z).max()))
        return cls(rows, points, of, count, tol)

    def neighbors(self, queries, m):
        if self.points.shape[1] == 1:
            return _sorted_neighbors(self.points[:, 0], self.count,
                                     queries[:, 0], m, self.tol)
        if self.tree is None:
            from scipy.spatial import cKDTree

            self.tree = cKDTree(self.points)
        return _tree_neighbors(self.tree, self.count, queries, m, self.tol)


@dataclass
class _Matches:
    """Who is matched to whom. Treated units with identical coordinates
    share their matches, so the pairs link distinct treated points to
    distinct control points."""

    weights: np.ndarray  # per row: 1/0 for treated, w_j for controls
    v: np.ndarray        # per row: sum_i 1{j in J(i)} / #J(i)^2
    matched: np.ndarray  # per row: treated and kept by the caliper
    n_dropped: int
    controls: _Controls
    pairs: tuple         # (treated point, control point) of each match
    size: np.ndarray     # per treated point: controls matched, #J(i)
    point: np.ndarray    # per row: its treated point (-1 for controls)

    def mean_over_matches(self, values: np.ndarray) -> np.ndarray:
        r"""Per matched treated row :math:`i`, the mean of ``values`` over
        its matched controls :math:`\mathcal J(i)`; NaN elsewhere."""
        ctrl = self.controls
        sums = np.bincount(ctrl.of, weights=values[ctrl.rows],
                           minlength=len(ctrl.points))
        rows, cols = self.pairs
        total = np.bincount(rows, weights=sums[cols],
                            minlength=len(self.size))
        out = np.full(len(values), np.nan)
        point = self.point[self.matched]
        out[self.matched] = total[point] / self.size[point]
        return out


def _nearest_controls(t, z, n_neighbors, caliper) -> _Matches:
    n0 = int((t == 0).sum())
    if n_neighbors > n0:
        raise ValueError(
            f"n_neighbors={n_neighbors} but there are only {n0} control "
            "units to match to; lower n_neighbors"
        )
    ctrl = _Controls.build(t, z)
    treated = np.flatnonzero(t == 1)
    # Units with identical coordinates share their matches: match distinct
    # points once, which keeps discrete covariates (many ties) fast.
    tpoints, t_of, t_count = _distinct(z[treated])
    rows, cols, dist = ctrl.neighbors(tpoints, n_neighbors)
    if caliper is not None:
        within = dist <= caliper + ctrl.tol
        rows, cols = rows[within], cols[within]
    n_matched = np.bincount(rows, weights=ctrl.count[cols],
                            minlength=len(tpoints))
    kept = n_matched > 0
    if not kept.any():
        raise ValueError(
            f"no treated unit has a control within caliper={caliper} "
            "standard deviations; widen the caliper"
        )
    n_points = len(ctrl.points)
    share = t_count[rows] / n_matched[rows]
    w_point = np.bincount(cols, weights=share, minlength=n_points)
    v_point = np.bincount(cols, weights=share / n_matched[rows],
                          minlength=n_points)
    weights = np.zeros(len(t))
    v = np.zeros(len(t))
    weights[ctrl.rows] = w_point[ctrl.of]
    v[ctrl.rows] = v_point[ctrl.of]
    matched = np.zeros(len(t), bool)
    matched[treated] = kept[t_of]
    weights[treated] = matched[treated]
    point = np.full(len(t), -1)
    point[treated] = t_of
    n_dropped = int(len(treated) - matched[treated].sum())
    return _Matches(weights, v, matched, n_dropped, ctrl, (rows, cols),
                    n_matched, point)


def _control_variances(ctrl: _Controls, y, wanted) -> np.ndarray:
    r""":math:`\hat\sigma^2(X_j)` for the control rows in ``wanted``, from
    the ``VARIANCE_NEIGHBORS`` nearest other controls (ties included)."""
    y_ctrl = y[ctrl.rows]
    n_points = len(ctrl.points)
    sums = np.bincount(ctrl.of, weights=y_ctrl, minlength=n_points)
    keep = wanted[ctrl.rows]
    needed = np.zeros(n_points, bool)
    needed[ctrl.of[keep]] = True
    query = np.flatnonzero(needed)
    # Each unit counts itself, at distance 0: ask for one more than needed.
    m = min(VARIANCE_NEIGHBORS, len(ctrl.rows) - 1) + 1
    rows, cols, _ = ctrl.neighbors(ctrl.points[query], m)
    total = np.zeros(n_points)
    total_y = np.zeros(n_points)
    total[query] = np.bincount(rows, weights=ctrl.count[cols],
                               minlength=len(query))
    total_y[query] = np.bincount(rows, weights=sums[cols],
                                 minlength=len(query))
    point = ctrl.of[keep]
    others = total[point] - 1
    mean_others = (total_y[point] - y_ctrl[keep]) / others
    sigma2 = np.zeros(len(y))
    sigma2[ctrl.rows[keep]] = (others / (others + 1)
                               * (y_ctrl[keep] - mean_others) ** 2)
    return sigma2


def _prepare_matching(df, treatment, outcome, covariates, propensity,
                      distance, n_neighbors, caliper, bias_correction=False):
    """Check every input; return treatment, outcome, the covariate
    design (None for a known propensity) and the matches."""
    n_neighbors, caliper = _check_options(
        distance, n_neighbors, caliper, covariates, propensity,
        bias_correction)
    t, y = _columns(df, treatment, outcome, covariates, propensity)
    design = None if covariates is None else _design(df, covariates)
    if distance == "mahalanobis":
        z = _mahalanobis_points(design, t)
    elif propensity is not None:
        z = _standardised(_known_logit(df, t, propensity), t)
    else:
        z = _standardised(_estimated_logit(t, design), t)
    return t, y, design, _nearest_controls(t, z, n_neighbors, caliper)


def _bias_correction(design: pd.DataFrame, y, m: _Matches) -> np.ndarray:
    r"""Per matched treated row, :math:`\hat\mu_0(X_i) - \frac{1}
    {\#\mathcal J(i)}\sum_{j \in \mathcal J(i)} \hat\mu_0(X_j)`, with
    :math:`\hat\mu_0` the least-squares fit of the outcome on the
    covariates over the matched controls, weighted by :math:`w_j`."""
    import statsmodels.api as sm

    X = design.to_numpy(dtype=float)
    used = (m.point < 0) & (m.weights > 0)
    try:
        check_design(design[used], "the matched controls")
    except ValueError as error:
        raise ValueError(
            f"bias correction: among the {int(used.sum())} matched "
            f"controls, {error}"
        ) from None
    beta = sm.WLS(y[used], X[used], weights=m.weights[used]).fit().params
    mu0 = X @ beta
    return mu0 - m.mean_over_matches(mu0)


# --- public functions --------------------------------------------------------

def match(
    df: pd.DataFrame,
    *,
    treatment: str,
    outcome: str,
    covariates=None,
    propensity: str | None = None,
    distance: str = "propensity",
    n_neighbors: int = 1,
    caliper: float | None = None,
    bias_correction: bool = False,
    alpha: float = 0.05,
) -> EffectEstimate:
    r"""Nearest-neighbour matching estimate of the effect on the treated.

    Each treated unit is matched, with replacement, to its
    ``n_neighbors`` nearest control units (all controls tied with the
    last one included); the ATT is the average difference between the
    treated outcomes and the mean outcomes of their matches, optionally
    corrected for the covariate differences that remain within matched
    pairs (``bias_correction=True``).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit.
    treatment, outcome : str
        0/1 treatment column and numeric outcome column.
    covariates : list of str or str, optional
        Column names or a formula right-hand side (patsy syntax). With
        ``distance="propensity"`` they feed a logistic propensity model;
        with ``distance="mahalanobis"`` they are the matching variables
        (categorical columns expanded to indicators).
    propensity : str, optional
        With ``distance="propensity"``, a column of known propensity
        scores, instead of ``covariates``: below 1 (the ATT needs a
        control like each treated unit; within 0.01 of 1 warns with a
        :class:`~causal_lib.PositivityWarning`) and above 0 (the
        logit is infinite there).
    distance : {"propensity", "mahalanobis"}
        Match on the logit of the propensity score, or on the
        Mahalanobis distance between covariate vectors.
    n_neighbors : int, default 1
        Number :math:`M` of controls matched to each treated unit.
    caliper : float, optional
        Largest allowed distance, in pooled standard deviations (see
        Notes); a conventional choice is 0.2 for the logit propensity
        (Austin, 2011). Matches farther away are discarded, and treated
        units left without a match are dropped.
    bias_correction : bool, default False
        Adjust each imputed :math:`\hat Y_i(0)` by a regression of the
        outcome on ``covariates`` among the matched controls (Abadie and
        Imbens, 2011; see Notes). Needs ``covariates``. The default keeps
        the plain matching estimator that :ref:`ch-conf` writes from scratch.
    alpha : float, default 0.05
        The interval has level :math:`1 - \alpha`.

    Returns
    -------
    EffectEstimate
        Estimand ``"ATT"``: the effect on the treated units that were
        matched (all of them without a caliper). ``n_treated`` counts
        those, ``n`` adds the distinct controls used, and ``method``
        says how many treated units the caliper dropped.

    Raises
    ------
    ValueError
        For a missing column; a column given two roles, or the treatment
        or outcome among the covariates; a treatment that is not 0/1 (or
        boolean); NaN or +/-inf in a used column; an arm with fewer than
        two units; fewer controls than ``n_neighbors``; an unknown
        ``distance``; a caliper that is not positive or leaves no treated
        unit matched; a known propensity at 0 or 1, or an estimated one
        that separates the arms; constant or collinear covariates (named;
        with ``bias_correction``, also among the matched controls).
    TypeError
        For ``n_neighbors`` that is not an integer, ``caliper`` or
        ``alpha`` that is not a number, or ``bias_correction`` that is
        not a bool.

    Notes
    -----
    **Distances.** With ``distance="propensity"``,
    :math:`d(i, j) = |\ell_i - \ell_j| / s_\ell`, where
    :math:`\ell = \operatorname{logit} \hat e(x)` and
    :math:`s_\ell^2 = (s_{\ell,1}^2 + s_{\ell,0}^2)/2` is the average of its
    variances in the two arms. With ``distance="mahalanobis"``,
    :math:`d(i, j)^2 = (x_i - x_j)^\top S^{-1} (x_i - x_j)` with the pooled
    within-arm covariance :math:`S = (S_1 + S_0)/2`; unlike the full-sample
    covariance, it is not inflated along the directions in which the arms
    differ, so imbalanced covariates keep their weight. Both distances are
    in pooled standard deviations, the unit of ``caliper``. Neighbours are
    found by binary search on the sorted scores (one dimension) or with a
    k-d tree on points whose Euclidean distance is :math:`d`
    (:math:`L^{-1}x` with :math:`S = LL^\top`); units with identical
    coordinates are matched once, so 10^5 rows take a fraction of a
    second.

    **Estimator.** Let :math:`\mathcal J(i)` be the :math:`M` controls
    nearest to treated unit :math:`i`, plus every control tied with the
    :math:`M`-th (so :math:`\#\mathcal J(i) \ge M`, and the result does
    not depend on row order), minus those beyond the caliper. With
    :math:`N_1` matched treated units,

    .. math::

        \hat Y_i(0) = \frac{1}{\#\mathcal J(i)}
            \sum_{j \in \mathcal J(i)} Y_j, \qquad
        \hat\tau = \frac{1}{N_1} \sum_{i:\,T_i = 1} (Y_i - \hat Y_i(0))
          = \bar Y_1 - \frac{1}{N_1} \sum_{j:\,T_j = 0} w_j Y_j,

    where :math:`w_j = \sum_i 1\{j \in \mathcal J(i)\} / \#\mathcal J(i)`
    is the matching weight of control :math:`j` (:math:`K_M(j)/M`
    without ties, :math:`K_M(j)` the number of times :math:`j` is used;
    see :func:`matching_weights`).

    **Standard error**: the Abadie--Imbens (2006) estimator of the
    variance for the population ATT (written for Stata by Abadie et al.,
    2004), with ties:

    .. math::

        \hat V = \frac{1}{N_1^2} \Bigl[
            \sum_{i:\,T_i = 1} \bigl(Y_i - \hat Y_i(0) - \hat\tau\bigr)^2
            + \sum_{j:\,T_j = 0} \bigl(w_j^2 - v_j\bigr)
              \hat\sigma^2(X_j) \Bigr],
        \qquad v_j = \sum_i \frac{1\{j \in \mathcal J(i)\}}
                                  {\#\mathcal J(i)^2},

    where :math:`w_j^2 - v_j = K_M(j)(K_M(j) - 1)/M^2` without ties. The
    conditional variance of a control is estimated by matching it to the
    :math:`J = 2` (``VARIANCE_NEIGHBORS``) nearest *other* controls
    :math:`\mathcal L(j)`, on the same distance, ties included:
    :math:`\hat\sigma^2(X_j) = \frac{\#\mathcal L(j)}{\#\mathcal L(j) + 1}
    (Y_j - \bar Y_{\mathcal L(j)})^2`. The interval is
    :math:`\hat\tau \pm z_{1-\alpha/2}\sqrt{\hat V}`. The bootstrap is not
    used: it is invalid for matching with replacement (Abadie and Imbens,
    2008).

    **Bias correction.** Matching on :math:`k` continuous covariates
    leaves a bias of order :math:`N^{-1/k}`, which for :math:`k \ge 2`
    does not vanish next to the standard error (Abadie and Imbens, 2006):
    each matched control differs a little from its treated unit, always
    in the direction in which the arms differ. Abadie and Imbens (2011)
    remove most of it with a regression: with :math:`\hat\mu_0(x) =
    \hat\beta_0 + x^\top\hat\beta` fitted to the controls,

    .. math::

        \hat Y_i^{\mathrm{bc}}(0) = \frac{1}{\#\mathcal J(i)}
            \sum_{j \in \mathcal J(i)} \Bigl(Y_j + \hat\mu_0(X_i)
            - \hat\mu_0(X_j)\Bigr), \qquad
        \hat\tau^{\mathrm{bc}} = \frac{1}{N_1} \sum_{i:\,T_i = 1}
            \bigl(Y_i - \hat Y_i^{\mathrm{bc}}(0)\bigr)
          = \hat\tau - \frac{1}{N_1} \sum_{i:\,T_i = 1}
            (X_i - \bar X_{\mathcal J(i)})^\top \hat\beta .

    The correction is zero for pairs whose covariates coincide. It needs
    no correct model of :math:`\mu_0`: the regression only has to
    capture how :math:`\mu_0` changes across the small gaps within
    pairs, and Abadie and Imbens (2011) find a linear fit removes most
    of the bias in practice. As Abadie
    and Imbens (2011) do, :math:`\hat\mu_0` is least squares (with
    intercept, on the columns of ``covariates``' design matrix) over the
    *matched* controls, weighted by their matching weights :math:`w_j`
    (proportional to the number of times each is used), so the fit is
    local to where it is applied. The variance is the estimator above
    with :math:`\hat Y_i^{\mathrm{bc}}(0)` and
    :math:`\hat\tau^{\mathrm{bc}}` in its first term, as in Abadie and
    Imbens (2011); the regression's own estimation error is of smaller
    order and ignored.

    **Assumptions.** Unconfoundedness given the covariates (or given the
    propensity score) and overlap for the treated (:math:`e(x) < 1`:
    every treated unit has comparable controls; a caliper enforces it at
    the price of changing the population). With an estimated propensity
    score the
    standard error treats the score as known; Abadie and Imbens (2016)
    show the correction for the ATT can have either sign. Matching is
    with replacement only: it does not depend on the order in which
    treated units are matched, and it is what the variance formula
    assumes.

    References
    ----------
    Abadie, A. and Imbens, G. W. (2006). Large sample properties of
    matching estimators for average treatment effects. *Econometrica*
    74(1), 235--267.
    Abadie, A., Drukker, D., Herr, J. L. and Imbens, G. W. (2004).
    Implementing matching estimators for average treatment effects in
    Stata. *The Stata Journal* 4(3), 290--311.
    Abadie, A. and Imbens, G. W. (2011). Bias-corrected matching
    estimators for average treatment effects. *Journal of Business &
    Economic Statistics* 29(1), 1--11.
    Abadie, A. and Imbens, G. W. (2008). On the failure of the bootstrap
    for matching estimators. *Econometrica* 76(6), 1537--1557.
    Abadie, A. and Imbens, G. W. (2016). Matching on the estimated
    propensity score. *Econometrica* 84(2), 781--807.
    Austin, P. C. (2011). Optimal caliper widths for propensity-score
    matching. *Pharmaceutical Statistics* 10(2), 150--161.

    See :ref:`ch-conf`.

    Examples
    --------
    Three treated users and four controls, matched on one covariate
    (for one covariate the Mahalanobis distance is :math:`|x_i - x_j|`
    over the pooled SD, so the nearest control is the nearest :math:`x`):

    >>> df = pd.DataFrame({"t": [1, 1, 1, 0, 0, 0, 0],
    ...                    "x": [1.2, 3.9, 10., 0., 2., 3., 5.],
    ...                    "y": [4., 6., 9., 0., 2., 3., 5.]})
    >>> est = match(df, treatment="t", outcome="y", covariates=["x"],
    ...             distance="mahalanobis")
    >>> round(est.estimate, 10)  # ((4 - 2) + (6 - 3) + (9 - 5)) / 3
    3.0
    >>> est.estimand, est.n_treated, est.n
    ('ATT', 3, 6)

    Here the controls' outcomes are :math:`y = x`, so the regression
    finds :math:`\hat\mu_0(x) = x` and the corrected counterfactual of
    each treated user is her own :math:`x`:

    >>> est = match(df, treatment="t", outcome="y", covariates=["x"],
    ...             distance="mahalanobis", bias_correction=True)
    >>> round(est.estimate, 10)  # ((4 - 1.2) + (6 - 3.9) + (9 - 10)) / 3
    1.3
    """
    alpha = _checks.check_alpha(alpha)
    t, y, design, m = _prepare_matching(
        df, treatment, outcome, covariates, propensity, distance,
        n_neighbors, caliper, bias_correction)
    treated = m.matched
    n1 = int(treated.sum())
    y0_hat = m.mean_over_matches(y)
    if bias_correction:
        y0_hat = y0_hat + _bias_correction(design, y, m)
    effects = y[treated] - y0_hat[treated]
    estimate = effects.mean()
    inflation = m.weights ** 2 - m.v
    # Controls used once have w^2 = v up to rounding: skip them.
    wanted = (t == 0) & (inflation > 1e-9 * m.weights ** 2)
    sigma2 = _control_variances(m.controls, y, wanted)
    variance = (np.sum((effects - estimate) ** 2)
                + np.sum(inflation[wanted] * sigma2[wanted])) / n1**2
    on = ("logit propensity" if distance == "propensity" else
          "Mahalanobis distance")
    corrected = ", bias-corrected" if bias_correction else ""
    method = (f"nearest-neighbour matching on {on} (M={int(n_neighbors)}, "
              f"with replacement{corrected}, Abadie-Imbens SE)")
    if caliper is not None:
        method += (f"; caliper {caliper:g} SD dropped {m.n_dropped} of "
                   f"{m.n_dropped + n1} treated")
    n_controls = int(((t == 0) & (m.weights > 0)).sum())
    return EffectEstimate.from_normal(
        "ATT", estimate, np.sqrt(variance), n=n1 + n_controls, n_treated=n1,
        method=method, alpha=alpha,
    )


def matching_weights(
    df: pd.DataFrame,
    *,
    treatment: str,
    covariates=None,
    propensity: str | None = None,
    distance: str = "propensity",
    n_neighbors: int = 1,
    caliper: float | None = None,
) -> pd.Series:
    r"""The matches of :func:`match` as one weight per row.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit.
    treatment : str
        0/1 treatment column.
    covariates, propensity, distance, n_neighbors, caliper
        As in :func:`match`, which makes the same matches.

    Returns
    -------
    pandas.Series
        Named ``"weight"``, with ``df``'s index: 1 for a matched treated
        unit, 0 for a treated unit dropped by the caliper, and
        :math:`w_j` for control :math:`j` (0 if never used). Control
        weights sum to the number of matched treated units.

    Raises
    ------
    ValueError
        As :func:`match`.

    Notes
    -----
    The weight of control :math:`j` is
    :math:`w_j = \sum_{i:\,T_i = 1} 1\{j \in \mathcal J(i)\} /
    \#\mathcal J(i)`: each matched treated unit spreads a weight of one
    over its matches (:math:`K_M(j)/M` without ties, where :math:`K_M(j)`
    counts the times :math:`j` is used). The weighted difference in means
    with these weights is exactly :func:`match`'s estimate, and the
    weighted covariate means are those of the matched sample, which is
    how :func:`balance_table` shows balance after matching. A separate
    function rather than an option of :func:`match` keeps every estimator
    returning one :class:`~causal_lib.estimate.EffectEstimate`; it needs
    no outcome, so balance can be checked before outcomes are looked at
    (Rubin, 2001).

    References
    ----------
    Rubin, D. B. (2001). Using propensity scores to help design
    observational studies. *Health Services and Outcomes Research
    Methodology* 2, 169--188.

    See :ref:`ch-conf`.

    Examples
    --------
    Treated unit at 2 is as close to the control at 1 as to the one at 3,
    so both are its matches, with weight one half each:

    >>> df = pd.DataFrame({"t": [1, 1, 0, 0, 0],
    ...                    "x": [2., 6., 1., 3., 7.]})
    >>> matching_weights(df, treatment="t", covariates=["x"],
    ...                  distance="mahalanobis").tolist()
    [1.0, 1.0, 0.5, 0.5, 1.0]
    """
    *_, m = _prepare_matching(df, treatment, None, covariates, propensity,
                              distance, n_neighbors, caliper)
    return pd.Series(m.weights, index=df.index, name="weight")


def _weights(df, weights, t) -> np.ndarray:
    w = _checks.column_or_values(df, weights, "weights")
    if (w < 0).any():
        raise ValueError(f"weights hold {int((w < 0).sum())} negative "
                         "value(s)")
    for arm, name in ((1, "treated"), (0, "control")):
        if w[t == arm].sum() <= 0:
            raise ValueError(f"weights sum to zero over the {name} units")
    return w


def _weighted_moments(X, w):
    """Weighted means and variances (reliability weights, unbiased)."""
    total = w.sum()
    mean = w @ X / total
    with np.errstate(divide="ignore", invalid="ignore"):
        var = w @ (X - mean) ** 2 / (total - (w @ w) / total)
    return mean, var


def balance_table(
    df: pd.DataFrame,
    *,
    treatment: str,
    covariates,
    weights=None,
) -> pd.DataFrame:
    r"""Covariate balance between the arms, optionally after weighting.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit.
    treatment : str
        0/1 treatment column.
    covariates : list of str or str
        Column names or a formula right-hand side (patsy syntax); one row
        of the table per column of the design matrix (categorical columns
        expanded to indicators, no intercept).
    weights : str or array-like, optional
        A column name, or one non-negative weight per row (a Series is
        aligned on ``df``'s index): e.g. :func:`matching_weights` or
        inverse probability weights.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``covariate``, with columns ``mean_treated``,
        ``mean_control``, ``smd`` and ``variance_ratio``; with weights
        also ``weighted_mean_treated``, ``weighted_mean_control``,
        ``weighted_smd`` and ``weighted_variance_ratio``.

    Raises
    ------
    ValueError
        For a missing column, a treatment that is not 0/1 (or boolean)
        or among the covariates, NaN or +/-inf in a used column, an arm
        with fewer than two units, or weights that are negative,
        non-finite, misaligned or sum to zero in an arm.

    Notes
    -----
    For covariate :math:`x`, with arm means :math:`\bar x_a` and sample
    variances :math:`s_a^2` (divisor :math:`n_a - 1`), the standardised
    mean difference and variance ratio are

    .. math::

        \mathrm{SMD} = \frac{\bar x_1 - \bar x_0}
                            {\sqrt{(s_1^2 + s_0^2)/2}}, \qquad
        \mathrm{VR} = s_1^2 / s_0^2.

    The weighted versions use weighted means
    :math:`\bar x_a^w = \sum_{T_i = a} w_i x_i / \sum_{T_i = a} w_i` and
    weighted variances :math:`\sum w_i (x_i - \bar x_a^w)^2 / (\sum w_i -
    \sum w_i^2 / \sum w_i)`, but the weighted SMD keeps the *unweighted*
    denominator, so the two SMDs differ only through the means and
    before/after values are comparable (Austin and Stuart, 2015). An SMD
    within :math:`\pm 0.1` is commonly read as balance; a variance ratio
    far from 1 signals imbalance the means miss. The SMD is NaN for a
    covariate constant in both arms. Balance is a check on the design,
    not a test of unconfoundedness: it says nothing about covariates
    that are not in the table. Unlike the estimators, the table accepts
    constant and collinear columns: it inverts no matrix, and showing
    both :math:`x` and a function of it is a legitimate check.

    References
    ----------
    Austin, P. C. and Stuart, E. A. (2015). Moving towards best practice
    when using inverse probability of treatment weighting (IPTW) using the
    propensity score to estimate causal treatment effects in observational
    studies. *Statistics in Medicine* 34(28), 3661--3679.

    See :ref:`ch-conf`.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [1, 1, 1, 0, 0, 0],
    ...                    "x": [1., 2., 3., 0., 1., 2.]})
    >>> table = balance_table(df, treatment="t", covariates=["x"])
    >>> table.loc["x", ["mean_treated", "mean_control", "smd"]].tolist()
    [2.0, 1.0, 1.0]
    >>> w = [1, 1, 1, 0, 1, 3]  # puts the control mean at 1.75
    >>> weighted = balance_table(df, treatment="t", covariates=["x"],
    ...                          weights=w)
    >>> float(weighted.loc["x", "weighted_smd"])
    0.25
    """
    t, _ = _columns(df, treatment, None, covariates, None)
    if isinstance(weights, str):
        _checks.distinct_columns(treatment=treatment, weights=weights)
        _checks.not_covariates(covariates, df.columns, weights=weights)
    frame = covariate_matrix(df, covariates, intercept=False)
    X = frame.to_numpy(dtype=float)
    _checks.finite_columns(X, frame.columns)
    w = None if weights is None else _weights(df, weights, t)
    X1, X0 = X[t == 1], X[t == 0]
    m1, m0 = X1.mean(axis=0), X0.mean(axis=0)
    v1, v0 = X1.var(axis=0, ddof=1), X0.var(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.sqrt((v1 + v0) / 2)
        table = {"mean_treated": m1, "mean_control": m0,
                 "smd": (m1 - m0) / scale, "variance_ratio": v1 / v0}
        if w is not None:
            wm1, wv1 = _weighted_moments(X1, w[t == 1])
            wm0, wv0 = _weighted_moments(X0, w[t == 0])
            table.update({
                "weighted_mean_treated": wm1, "weighted_mean_control": wm0,
                "weighted_smd": (wm1 - wm0) / scale,
                "weighted_variance_ratio": wv1 / wv0,
            })
    return pd.DataFrame(table, index=pd.Index(frame.columns,
                                              name="covariate"))


def trim_by_propensity(
    df: pd.DataFrame,
    *,
    propensity,
    low: float = 0.1,
    high: float = 0.9,
) -> pd.DataFrame:
    r"""Keep the units whose propensity score lies in ``[low, high]``.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit.
    propensity : str or pandas.Series
        A column of ``df``, or scores with ``df``'s index (such as the
        output of :func:`~causal_lib.estimators.propensity_score`).
    low, high : float, default 0.1 and 0.9
        Bounds, with :math:`0 \le` ``low`` :math:`<` ``high``
        :math:`\le 1`; both are kept.

    Returns
    -------
    pandas.DataFrame
        A copy of the kept rows, with their original index.

    Raises
    ------
    ValueError
        For a missing column, NaN, +/-inf or values outside [0, 1] in the
        propensity, or bounds outside [0, 1] or not in order.
    TypeError
        For bounds that are not numbers.

    Notes
    -----
    Crump, Hotz, Imbens and Mitnik (2009) show that the average effect on
    the subpopulation :math:`\{x: \alpha \le e(x) \le 1 - \alpha\}` is
    estimated with the smallest variance for an :math:`\alpha` that
    depends on the data, and that :math:`\alpha = 0.1` is a good rule of
    thumb when effects are homogeneous: units with propensities near 0
    or 1 get extreme weights and have few comparable units in the other
    arm. Trimming changes the estimand: an effect estimated on the kept
    rows is the effect *for units like those*, not the ATE of everyone.
    Estimate the propensity on the full data, trim, and then estimate the
    effect on the trimmed data.

    References
    ----------
    Crump, R. K., Hotz, V. J., Imbens, G. W. and Mitnik, O. A. (2009).
    Dealing with limited overlap in estimation of average treatment
    effects. *Biometrika* 96(1), 187--199.

    See :ref:`ch-conf`.

    Examples
    --------
    >>> df = pd.DataFrame({"e": [0.05, 0.2, 0.5, 0.9, 0.97]})
    >>> trim_by_propensity(df, propensity="e").index.tolist()
    [1, 2, 3]
    """
    _checks.require_frame(df)
    for name, bound in (("low", low), ("high", high)):
        _checks.check_probability(bound, name)
    if not low < high:
        raise ValueError(f"low must be below high; got low={low}, "
                         f"high={high}")
    e = _checks.column_or_values(df, propensity, "propensity")
    name = propensity if isinstance(propensity, str) else "propensity"
    e = _checks.probability_values(e, f"propensity {name!r}")
    return df.loc[(e >= low) & (e <= high)].copy()
