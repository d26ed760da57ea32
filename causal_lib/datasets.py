r"""Real data sets, loaded from installed packages (never downloaded).

See :ref:`ch-ab` (the NSW experiment) and :ref:`ch-lal` (NSW against
CPS).
"""

from __future__ import annotations

import pandas as pd

_NSW_COLUMNS = [
    "treat", "age", "educ", "black", "hisp", "marr", "nodegree",
    "re74", "re75", "re78",
]


def load_nsw(controls: str = "experimental") -> pd.DataFrame:
    r"""The National Supported Work (NSW) job-training data.

    Parameters
    ----------
    controls : {"experimental", "cps"}
        ``"experimental"`` returns the Dehejia--Wahba subsample of the NSW
        randomized experiment: 185 treated and 260 randomized control men.
        ``"cps"`` returns the same 185 treated men with 15,992
        non-experimental comparison men from the Current Population Survey,
        LaLonde's observational design.

    Returns
    -------
    pandas.DataFrame
        ``treat`` (1 = offered the programme), ``age``, ``educ`` (years),
        ``black``, ``hisp``, ``marr``, ``nodegree`` (0/1), and real earnings
        in US dollars in 1974, 1975 and 1978 (``re74``, ``re75``,
        ``re78``; ``re78`` is the outcome). A fresh copy on every call.

    Notes
    -----
    The data ship inside the ``causaldata`` package (Huntington-Klein and
    Barrett), taken from Cunningham's *Causal Inference: The Mixtape*. In
    the experimental sample the difference in mean 1978 earnings is
    $1,794, the benchmark Dehejia and Wahba (1999) report. Two standard
    errors are in circulation: the $633 they report is the conventional
    OLS one, which pools the two arms' variances; the book prints $671,
    Neyman's unpooled standard error (equal to OLS with HC2), which lets
    each arm keep its own. The smaller arm, the treated, is also the more
    variable (standard deviation $7,867 against $5,484), so the pooled
    standard error is too small (see :ref:`ch-ab`).

    References
    ----------
    LaLonde, R. J. (1986). Evaluating the econometric evaluations of
    training programs with experimental data. *American Economic Review*
    76(4), 604--620.

    Dehejia, R. H. and Wahba, S. (1999). Causal effects in nonexperimental
    studies: reevaluating the evaluation of training programs. *Journal of
    the American Statistical Association* 94(448), 1053--1062.

    Examples
    --------
    >>> nsw = load_nsw()
    >>> nsw["treat"].value_counts().sort_index().tolist()
    [260, 185]
    >>> diff = nsw.groupby("treat")["re78"].mean().diff().iloc[-1]
    >>> round(diff, 2)
    np.float64(1794.34)
    >>> var = nsw.groupby("treat")["re78"].var()
    >>> size = nsw.groupby("treat").size()
    >>> round(float((var / size).sum() ** 0.5))  # Neyman, unpooled
    671
    >>> pooled = ((size - 1) * var).sum() / (size.sum() - 2)
    >>> round(float((pooled * (1 / size).sum()) ** 0.5))  # OLS, pooled
    633
    """
    from causaldata import cps_mixtape, nsw_mixtape

    nsw = _tidy(nsw_mixtape.load_pandas().data)
    if controls == "experimental":
        return nsw
    if controls == "cps":
        cps = _tidy(cps_mixtape.load_pandas().data)
        treated = nsw[nsw["treat"] == 1]
        return pd.concat([treated, cps], ignore_index=True)
    raise ValueError(
        f"controls must be 'experimental' or 'cps', got {controls!r}"
    )


def _tidy(raw: pd.DataFrame) -> pd.DataFrame:
    out = raw[_NSW_COLUMNS].copy()
    for column in _NSW_COLUMNS:
        kind = "float64" if column.startswith("re") else "int64"
        out[column] = out[column].astype(kind)
    return out.reset_index(drop=True)
