r"""Real data sets, loaded from installed packages (never downloaded).

See :ref:`ch-ab` (the NSW experiment) and :ref:`ch-lal` (NSW against
CPS). The Open Bandit Dataset samples ship inside ``causal_lib`` itself
(``causal_lib/data/obd``, copied from the obp 0.4.1 wheel under the
Apache License 2.0; see the README there); :ref:`ch-ope` evaluates
policies on them.
"""

from __future__ import annotations

from importlib import resources
from typing import NamedTuple

import numpy as np
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


def load_close_college() -> pd.DataFrame:
    r"""Card's college-proximity data: schooling, wages and a nearby college.

    Returns
    -------
    pandas.DataFrame
        3,010 men of the National Longitudinal Survey of Young Men, in
        1976: ``lwage`` (log hourly wage), ``educ`` (years of schooling),
        ``nearc4`` (1 if a four-year college was in the county where they
        grew up), ``exper`` (years of experience), 0/1 indicators
        ``black``, ``south`` and ``smsa`` (lives in a metropolitan area),
        and ``married``, a marital-status code from 1 (married, spouse
        present) to 6 (never married), missing for seven men; the
        Mixtape enters it as a number, and so does the book. A fresh copy
        on every call.

    Notes
    -----
    The data ship inside the ``causaldata`` package (``close_college``),
    as used in the instrumental-variables chapter of Cunningham's *Causal
    Inference: The Mixtape*. College proximity is the instrument for
    schooling (Card, 1995). On the 3,003 complete rows, two-stage least
    squares with the controls ``exper``, ``black``, ``south``,
    ``married`` and ``smsa`` gives a return to schooling of 0.1242 (HC0
    standard error 0.0492), against 0.0712 by OLS, as the Mixtape's
    companion code reports; the conventional first-stage F statistic is
    15.77 (15.767 in the Mixtape's table).

    References
    ----------
    Card, D. (1995). Using geographic variation in college proximity to
    estimate the return to schooling. In L. N. Christofides, E. K. Grant
    and R. Swidinsky (eds.), *Aspects of Labour Market Behaviour: Essays
    in Honour of John Vanderkamp*, 201--222. University of Toronto Press.

    Cunningham, S. (2021). *Causal Inference: The Mixtape*, chapter 7.
    Yale University Press.

    See :ref:`ch-exp`.

    Examples
    --------
    >>> card = load_close_college()
    >>> card.shape
    (3010, 8)
    >>> int(card["married"].isna().sum())
    7
    """
    from causaldata import close_college

    raw = close_college.load_pandas().data
    out = raw[list(_CARD_COLUMNS)].copy()
    for column, kind in _CARD_COLUMNS.items():
        out[column] = out[column].astype(kind)
    return out.reset_index(drop=True)


_CARD_COLUMNS = {"lwage": "float64", "educ": "int64", "nearc4": "int64",
                 "exper": "int64", "black": "int64", "south": "int64",
                 "married": "float64", "smsa": "int64"}


def _tidy(raw: pd.DataFrame) -> pd.DataFrame:
    out = raw[_NSW_COLUMNS].copy()
    for column in _NSW_COLUMNS:
        kind = "float64" if column.startswith("re") else "int64"
        out[column] = out[column].astype(kind)
    return out.reset_index(drop=True)


# --- Open Bandit Dataset -----------------------------------------------------

_OBD_POLICIES = ("random", "bts")
_OBD_CAMPAIGNS = ("all", "men", "women")


class OpenBanditData(NamedTuple):
    """The logs of one policy and campaign, and the items they show."""

    logs: pd.DataFrame
    item_context: pd.DataFrame


def _choice(value, name, allowed):
    if value not in allowed:
        listed = ", ".join(repr(a) for a in allowed[:-1])
        listed += f" or {allowed[-1]!r}"
        raise ValueError(f"{name} must be {listed}, got {value!r}")
    return value


def _obd_file(*parts: str):
    return resources.files("causal_lib").joinpath("data", "obd", *parts)


def _read_obd_csv(*parts: str) -> pd.DataFrame:
    with _obd_file(*parts).open("rb") as handle:
        # The files keep obp's unnamed first column, a row number.
        frame = pd.read_csv(handle, compression="gzip", index_col=0)
    return frame.reset_index(drop=True)


def load_open_bandit(policy: str = "random",
                     campaign: str = "all") -> OpenBanditData:
    r"""The Open Bandit Dataset samples (10,000 logged impressions each).

    Parameters
    ----------
    policy : {"random", "bts"}
        The logging policy: ``"random"`` shows items uniformly at random,
        ``"bts"`` by Bernoulli Thompson sampling.
    campaign : {"all", "men", "women"}
        The campaign (80, 34 or 46 items).

    Returns
    -------
    OpenBanditData
        A named tuple ``(logs, item_context)`` of fresh DataFrames, with
        the data set's own column names. ``logs`` has one row per
        impression, in time order: ``timestamp`` (UTC datetimes),
        ``item_id`` (0, 1, ...), ``position`` (1, 2 or 3: the slot
        shown), ``click`` (0/1), ``propensity_score`` (the logging
        policy's probability of showing that item in that slot),
        ``user_feature_0`` to ``user_feature_3`` (hashed categories, as
        strings) and ``user-item_affinity_<k>`` for every item ``k``
        (numbers). ``item_context`` has one row per item: ``item_id``,
        ``item_feature_0`` (numeric) and ``item_feature_1`` to
        ``item_feature_3`` (hashed categories).

    Raises
    ------
    ValueError
        If ``policy`` or ``campaign`` is not one of the names above.

    Notes
    -----
    ZOZOTOWN, a Japanese fashion e-commerce platform, ran both policies
    at the same time on randomly split traffic, each choosing the
    fashion items shown in three slots of a recommendation widget, and
    logged the probability of what it showed. The uniform policy's
    propensity is :math:`1/\text{(number of items)}`; Thompson
    sampling's were computed by Monte Carlo simulation of its own
    sampling. These are the small samples obp 0.4.1 ships, copied into
    ``causal_lib`` with obp's licence (Apache 2.0); the full data set
    (about 26 million impressions) is distributed separately.
    :ref:`ch-ope` uses them for off-policy evaluation.

    References
    ----------
    Saito, Y., Aihara, S., Matsutani, M. and Narita, Y. (2021). Open
    Bandit Dataset and Pipeline: towards realistic and reproducible
    off-policy evaluation. *NeurIPS Datasets and Benchmarks*.

    Examples
    --------
    >>> logs, items = load_open_bandit("random", "all")
    >>> logs.shape, items.shape
    ((10000, 89), (80, 5))
    >>> int(logs["click"].sum()), logs["propensity_score"].unique().tolist()
    (38, [0.0125])
    """
    _choice(policy, "policy", _OBD_POLICIES)
    _choice(campaign, "campaign", _OBD_CAMPAIGNS)
    logs = _read_obd_csv(policy, campaign, f"{campaign}.csv.gz")
    logs["timestamp"] = pd.to_datetime(logs["timestamp"], utc=True)
    items = _read_obd_csv(policy, campaign, "item_context.csv.gz")
    return OpenBanditData(logs, items)


def _read_prior() -> dict[str, dict[str, list[float]]]:
    """Parse obp's ``prior_bts.yaml``: campaign -> alpha/beta -> numbers.

    The file has one fixed shape (two indented keys holding lists of
    numbers), so a few lines read it without a YAML dependency.
    """
    prior: dict[str, dict[str, list[float]]] = {}
    lists: dict[str, list[float]] = {}
    values: list[float] = []
    for line in _obd_file("prior_bts.yaml").read_text().splitlines():
        text = line.strip()
        if not text:
            continue
        if not line.startswith(" "):
            lists = prior.setdefault(text.rstrip(":"), {})
        elif text.startswith("- "):
            values.append(float(text[2:]))
        else:
            values = lists.setdefault(text.rstrip(":"), [])
    return prior


def load_open_bandit_prior(campaign: str = "all") -> pd.DataFrame:
    r"""The Beta prior of the Bernoulli Thompson sampling policy.

    Parameters
    ----------
    campaign : {"all", "men", "women"}
        The campaign, as in :func:`load_open_bandit`.

    Returns
    -------
    pandas.DataFrame
        One row per item: ``item_id``, ``alpha`` and ``beta``, the
        parameters of the Beta prior on the item's click rate with which
        the ``"bts"`` logging policy started (obp's ``prior_bts.yaml``).

    Raises
    ------
    ValueError
        If ``campaign`` is not one of the names above.

    Notes
    -----
    These are the priors ZOZOTOWN's Thompson sampling used at the start
    of the data collection period (obp's ``BernoulliTS`` with
    ``is_zozotown_prior=True`` reads the same file), so sampling from
    them replays the production policy as a target policy;
    :ref:`ch-ope` evaluates it, and reproduces obp's published estimate
    of its value.

    References
    ----------
    Saito, Y., Aihara, S., Matsutani, M. and Narita, Y. (2021). Open
    Bandit Dataset and Pipeline: towards realistic and reproducible
    off-policy evaluation. *NeurIPS Datasets and Benchmarks*.

    Examples
    --------
    >>> prior = load_open_bandit_prior("men")
    >>> len(prior), list(prior.columns)
    (34, ['item_id', 'alpha', 'beta'])
    """
    _choice(campaign, "campaign", _OBD_CAMPAIGNS)
    prior = _read_prior()[campaign]
    alpha = np.asarray(prior["alpha"], dtype=float)
    return pd.DataFrame({"item_id": np.arange(len(alpha)),
                         "alpha": alpha,
                         "beta": np.asarray(prior["beta"], dtype=float)})
