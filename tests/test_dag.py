"""causal_lib.dag: d-separation against networkx, textbook adjustment cases,
recovery of known effects from simulated structural models, errors."""

from __future__ import annotations

import copy
import itertools
import random

import matplotlib
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from causal_lib.dag import DAG, LinearSEM
from causal_lib.plotting import dag_layout, draw_dag

matplotlib.use("Agg")


# --- helpers ----------------------------------------------------------------

def random_dag(seed: int, max_nodes: int = 12) -> DAG:
    """A random DAG: a random ordering of the nodes and, for every pair,
    an edge from the earlier to the later with a random probability."""
    rnd = random.Random(seed)
    n = rnd.randint(2, max_nodes)
    order = list(range(n))
    rnd.shuffle(order)
    p = rnd.choice([0.1, 0.25, 0.4, 0.7]) * rnd.random() * 2
    edges = [(order[i], order[j]) for i in range(n)
             for j in range(i + 1, n) if rnd.random() < p]
    return DAG(edges, nodes=range(n))


def random_disjoint_sets(seed: int, nodes) -> tuple[set, set, set]:
    """Random disjoint xs, ys (both non-empty) and given."""
    rnd = random.Random(seed)
    shuffled = list(nodes)
    rnd.shuffle(shuffled)
    xs, ys, zs = {shuffled[0]}, {shuffled[1]}, set()
    for node in shuffled[2:]:
        role = rnd.randrange(4)
        (xs, ys, zs, set())[role].add(node)
    return xs, ys, zs


def brute_force_d_separated(dag: DAG, xs, ys, zs) -> bool:
    """d-separation from its definition: list every path of the skeleton
    between xs and ys and check that each is blocked (small graphs only)."""
    graph = dag.to_networkx()
    opened = set(zs) | {a for z in zs for a in nx.ancestors(graph, z)}
    for x, y in itertools.product(xs, ys):
        for path in nx.all_simple_paths(graph.to_undirected(), x, y):
            blocked = False
            for a, m, b in zip(path, path[1:], path[2:]):
                collider = graph.has_edge(a, m) and graph.has_edge(b, m)
                if (m not in opened) if collider else (m in zs):
                    blocked = True
                    break
            if not blocked:
                return False
    return True


def brute_force_minimal_sets(dag: DAG, t, y, latent=()) -> set[frozenset]:
    """Minimal backdoor sets by testing every subset (small graphs only)."""
    others = [v for v in dag.nodes if v not in (t, y, *latent)]
    valid = [
        frozenset(c)
        for k in range(len(others) + 1)
        for c in itertools.combinations(others, k)
        if dag.is_valid_adjustment_set(t, y, c)
    ]
    return {z for z in valid if not any(w < z for w in valid)}


def ols_coefficient(df: pd.DataFrame, treatment, outcome, covariates):
    """OLS coefficient on the treatment and its (classical) SE."""
    x = sm.add_constant(df[[treatment, *sorted(covariates)]])
    fit = sm.OLS(df[outcome], x).fit()
    return fit.params[treatment], fit.bse[treatment]


def population_coefficient(cov: pd.DataFrame, treatment, outcome,
                           covariates) -> float:
    """The coefficient on the treatment in the population regression of the
    outcome on treatment and covariates, from the model's covariance."""
    regressors = [treatment, *sorted(covariates)]
    beta = np.linalg.solve(cov.loc[regressors, regressors],
                           cov.loc[regressors, outcome])
    return float(beta[0])


# --- d-separation agrees with networkx --------------------------------------

@settings(max_examples=400, deadline=None, database=None)
@given(st.integers(0, 2**32 - 1))
def test_d_separation_agrees_with_networkx(seed):
    dag = random_dag(seed)
    graph = dag.to_networkx()
    for k in range(5):
        xs, ys, zs = random_disjoint_sets(seed + k, dag.nodes)
        assert dag.d_separated(xs, ys, zs) == nx.is_d_separator(
            graph, xs, ys, zs
        ), (dag, xs, ys, zs)


@settings(max_examples=300, deadline=None, database=None)
@given(st.integers(0, 2**32 - 1))
def test_d_separation_matches_its_definition(seed):
    # d_separated calls networkx; this checks both against the definition
    dag = random_dag(seed, max_nodes=8)
    for k in range(3):
        xs, ys, zs = random_disjoint_sets(seed + k, dag.nodes)
        assert dag.d_separated(xs, ys, zs) == brute_force_d_separated(
            dag, xs, ys, zs
        ), (dag, xs, ys, zs)


@settings(max_examples=100, deadline=None, database=None)
@given(st.integers(0, 2**32 - 1))
def test_ancestors_and_descendants_agree_with_networkx(seed):
    dag = random_dag(seed)
    graph = dag.to_networkx()
    for node in dag.nodes:
        assert dag.ancestors(node) == nx.ancestors(graph, node)
        assert dag.descendants(node) == nx.descendants(graph, node)


def test_d_separation_textbook_triples():
    chain = DAG("A -> M -> B")
    fork = DAG("M -> A; M -> B")
    collider = DAG("A -> C; B -> C; C -> D")
    assert not chain.d_separated("A", "B")
    assert chain.d_separated("A", "B", "M")
    assert not fork.d_separated("A", "B")
    assert fork.d_separated("A", "B", {"M"})
    assert collider.d_separated("A", "B")
    assert not collider.d_separated("A", "B", "C")
    # a descendant of the collider opens it too
    assert not collider.d_separated("A", "B", ["D"])


# --- backdoor criterion: textbook cases -------------------------------------

CASES = {
    # name: (graph, latent, minimal sets, valid sets, invalid sets)
    "confounder": (
        "X -> T; X -> Y; T -> Y", (),
        [{"X"}], [{"X"}], [set()],
    ),
    "mediator": (
        "T -> M -> Y", (),
        [set()], [set()], [{"M"}],
    ),
    "collider": (
        "T -> Y; T -> C; Y -> C", (),
        [set()], [set()], [{"C"}],
    ),
    "M-bias": (
        "A -> T; A -> M; B -> M; B -> Y; T -> Y", (),
        [set()], [set(), {"A"}, {"B"}, {"A", "M"}, {"B", "M"}], [{"M"}],
    ),
    "butterfly": (
        "A -> M; B -> M; A -> T; M -> T; M -> Y; B -> Y; T -> Y", (),
        [{"A", "M"}, {"B", "M"}],
        [{"A", "M"}, {"B", "M"}, {"A", "B", "M"}],
        [set(), {"M"}, {"A", "B"}, {"A"}],
    ),
    "frontdoor": (
        "U -> T; U -> Y; T -> M -> Y", ("U",),
        [], [{"U"}], [set(), {"M"}, {"U", "M"}],
    ),
    "instrument": (
        "Z -> T -> Y; U -> T; U -> Y", (),
        [{"U"}], [{"U"}, {"U", "Z"}], [set(), {"Z"}],
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_textbook_adjustment_cases(name):
    graph, latent, minimal, valid, invalid = CASES[name]
    dag = DAG(graph)
    got = dag.backdoor_adjustment_sets("T", "Y", latent=latent)
    assert got == [frozenset(s) for s in minimal]
    for z in valid:
        assert dag.is_valid_adjustment_set("T", "Y", z), z
    for z in invalid:
        assert not dag.is_valid_adjustment_set("T", "Y", z), z


def test_frontdoor_latent_confounder_has_no_backdoor_set_without_latent():
    dag = DAG(CASES["frontdoor"][0])
    assert dag.backdoor_adjustment_sets("T", "Y") == [frozenset({"U"})]


def test_minimal_sets_are_ordered_smallest_first():
    dag = DAG("A -> B -> T; B -> C -> Y; A -> Y; T -> Y")
    sets = dag.backdoor_adjustment_sets("T", "Y")
    assert [len(s) for s in sets] == sorted(len(s) for s in sets)
    assert frozenset({"B"}) in sets


def test_ladder_has_two_to_the_k_minimal_sets():
    # Each confounding path U_i -> W_i -> T, U_i -> Y is blocked by either
    # of two nodes, so there are 2**k minimal sets.
    k = 5
    text = "; ".join(f"U{i} -> W{i} -> T; U{i} -> Y" for i in range(k))
    dag = DAG(text + "; T -> Y")
    sets = dag.backdoor_adjustment_sets("T", "Y")
    assert len(sets) == 2**k
    assert all(len(s) == k for s in sets)


@settings(max_examples=300, deadline=None, database=None)
@given(st.integers(0, 2**32 - 1))
def test_minimal_sets_match_brute_force(seed):
    dag = random_dag(seed, max_nodes=8)
    rnd = random.Random(seed)
    t, y = rnd.sample(dag.nodes, 2)
    rest = [v for v in dag.nodes if v not in (t, y)]
    latent = set(rnd.sample(rest, k=min(len(rest), rnd.randrange(3))))
    got = dag.backdoor_adjustment_sets(t, y, latent=latent)
    assert len(got) == len(set(got))
    assert set(got) == brute_force_minimal_sets(dag, t, y, latent)


@settings(max_examples=200, deadline=None, database=None)
@given(st.integers(0, 2**32 - 1))
def test_backdoor_matches_its_definition(seed):
    # condition 2 tested on the graph with the treatment's arrows removed,
    # built independently with networkx
    dag = random_dag(seed, max_nodes=9)
    rnd = random.Random(seed)
    t, y = rnd.sample(dag.nodes, 2)
    z = {v for v in dag.nodes if v not in (t, y) and rnd.random() < 0.4}
    graph = dag.to_networkx()
    cut = graph.copy()
    cut.remove_edges_from(list(graph.out_edges(t)))
    expected = (not z & nx.descendants(graph, t)
                and nx.is_d_separator(cut, {t}, {y}, z))
    assert dag.is_valid_adjustment_set(t, y, z) == expected


# --- frontdoor --------------------------------------------------------------

@pytest.mark.parametrize("graph, mediators, expected", [
    ("U -> T; U -> Y; T -> M -> Y", "M", True),
    ("U -> T; U -> Y; T -> M -> Y; T -> Y", "M", False),  # direct path
    ("U -> T; U -> Y; U -> M; T -> M -> Y", "M", False),  # T <- U -> M
    ("U -> T; U -> Y; T -> M -> Y; M -> W; W -> Y", "M", True),
    ("U -> T; U -> Y; T -> M1 -> Y; T -> M2 -> Y", {"M1"}, False),
    ("U -> T; U -> Y; T -> M1 -> Y; T -> M2 -> Y", {"M1", "M2"}, True),
    ("V -> M; V -> Y; T -> M -> Y", "M", False),  # M <- V -> Y open
])
def test_frontdoor_cases(graph, mediators, expected):
    assert DAG(graph).is_frontdoor_set("T", "Y", mediators) is expected


# --- implied independencies -------------------------------------------------

@settings(max_examples=100, deadline=None, database=None)
@given(st.integers(0, 2**32 - 1))
def test_implied_independencies_hold_and_cover_nonadjacent_pairs(seed):
    dag = random_dag(seed, max_nodes=10)
    statements = dag.implied_independencies()
    adjacent = {frozenset(e) for e in dag.edges}
    n = len(dag.nodes)
    assert len(statements) == n * (n - 1) // 2 - len(adjacent)
    for x, y, given_ in statements:
        assert frozenset((x, y)) not in adjacent
        assert dag.d_separated(x, y, given_)


def test_markov_equivalent_graphs_imply_the_same_independencies():
    def as_set(dag):
        return {(frozenset((x, y)), g) for x, y, g in
                dag.implied_independencies()}

    chain, fork = DAG("A -> B -> C"), DAG("B -> A; B -> C")
    assert as_set(chain) == as_set(fork)
    assert as_set(DAG("A -> B; C -> B")) != as_set(chain)


# --- linear structural models: truth and recovery ---------------------------

BUTTERFLY = DAG(CASES["butterfly"][0])
BUTTERFLY_COEFS = {
    "A -> M": 0.8, "B -> M": 0.9, "A -> T": 0.7, "M -> T": 0.6,
    "M -> Y": 0.8, "B -> Y": 1.1, "T -> Y": 0.5,
}


def test_total_effect_is_sum_over_paths_of_products():
    dag = DAG("T -> A -> Y; T -> B -> Y; T -> Y; A -> B")
    coefs = {"T -> A": 2.0, "A -> Y": 3.0, "T -> B": 0.5, "B -> Y": -1.0,
             "T -> Y": 0.25, "A -> B": 4.0}
    sem = dag.linear_sem(coefficients=coefs)
    # T->A->Y: 6, T->B->Y: -0.5, T->Y: 0.25, T->A->B->Y: -8
    assert sem.total_effect("T", "Y") == pytest.approx(6 - 0.5 + 0.25 - 8)
    assert sem.total_effect("Y", "T") == 0.0


@settings(max_examples=60, deadline=None, database=None)
@given(st.integers(0, 2**32 - 1))
def test_total_effect_matches_path_enumeration(seed):
    dag = random_dag(seed, max_nodes=9)
    rnd = random.Random(seed)
    coefs = {e: rnd.uniform(-1.5, 1.5) for e in dag.edges}
    t, y = rnd.sample(dag.nodes, 2)
    expected = sum(
        np.prod([coefs[e] for e in zip(path, path[1:])])
        for path in nx.all_simple_paths(dag.to_networkx(), t, y)
    )
    got = dag.linear_sem(coefficients=coefs).total_effect(t, y)
    assert got == pytest.approx(expected, abs=1e-12)


def test_intervention_difference_equals_total_effect_for_every_unit():
    sem = BUTTERFLY.linear_sem(coefficients=BUTTERFLY_COEFS,
                               noise_sd={"Y": 2.0})
    treated = sem.simulate(500, rng=np.random.default_rng(11),
                           do={"T": 1.0})
    control = sem.simulate(500, rng=np.random.default_rng(11),
                           do={"T": 0.0})
    truth = sem.total_effect("T", "Y")
    np.testing.assert_allclose(treated["Y"] - control["Y"], truth)
    # nodes that are not descendants of T are untouched
    pd.testing.assert_series_equal(treated["M"], control["M"])


def test_implied_covariance_matches_a_large_sample():
    n = 200_000
    sem = BUTTERFLY.linear_sem(coefficients=BUTTERFLY_COEFS, noise_sd=0.7)
    df = sem.simulate(n, rng=np.random.default_rng(3))
    cov = sem.implied_covariance()
    sample = df.cov()
    # SE of a sample covariance under normality
    var = np.diag(cov.to_numpy())
    se = np.sqrt((np.outer(var, var) + cov.to_numpy() ** 2) / n)
    assert np.all(np.abs(sample.to_numpy() - cov.to_numpy()) < 4.5 * se)


@pytest.mark.parametrize("graph, coefs", [
    (CASES["confounder"][0], {"X -> T": 1.2, "X -> Y": -0.8, "T -> Y": 0.4}),
    (CASES["butterfly"][0], BUTTERFLY_COEFS),
    ("A -> T; A -> M; B -> M; B -> Y; T -> Y",
     {"A -> T": 1.0, "A -> M": 1.0, "B -> M": 1.0, "B -> Y": 1.0,
      "T -> Y": 0.3}),
    ("Z -> T -> Y; U -> T; U -> Y; T -> W -> Y; X -> W",
     {"Z -> T": 0.9, "U -> T": 0.8, "U -> Y": 1.2, "T -> W": 0.6,
      "W -> Y": 0.7, "T -> Y": -0.2, "X -> W": 0.5}),
])
def test_adjustment_on_minimal_sets_recovers_true_effect(graph, coefs):
    dag = DAG(graph)
    sem = dag.linear_sem(coefficients=coefs)
    df = sem.simulate(20_000, rng=np.random.default_rng(2026))
    truth = sem.total_effect("T", "Y")
    sets = dag.backdoor_adjustment_sets("T", "Y")
    assert sets
    for z in sets:
        estimate, se = ols_coefficient(df, "T", "Y", z)
        assert abs(estimate - truth) < 4 * se, (z, estimate, truth, se)


def test_invalid_sets_are_biased_by_the_predicted_amount():
    sem = BUTTERFLY.linear_sem(coefficients=BUTTERFLY_COEFS)
    df = sem.simulate(20_000, rng=np.random.default_rng(7))
    truth = sem.total_effect("T", "Y")
    cov = sem.implied_covariance()
    for z in [set(), {"M"}, {"A", "B"}]:
        assert not BUTTERFLY.is_valid_adjustment_set("T", "Y", z)
        target = population_coefficient(cov, "T", "Y", z)
        estimate, se = ols_coefficient(df, "T", "Y", z)
        assert abs(estimate - target) < 4 * se
        assert abs(target - truth) > 8 * se, z  # the bias is real
    for z in BUTTERFLY.backdoor_adjustment_sets("T", "Y"):
        assert population_coefficient(cov, "T", "Y", z) == pytest.approx(
            truth
        )


def test_frontdoor_product_recovers_true_effect():
    dag = DAG("U -> T; U -> Y; T -> M -> Y")
    coefs = {"U -> T": 1.0, "U -> Y": 1.5, "T -> M": 0.7, "M -> Y": 0.6}
    sem = dag.linear_sem(coefficients=coefs)
    df = sem.simulate(20_000, rng=np.random.default_rng(5)).drop(columns="U")
    truth = sem.total_effect("T", "Y")
    a, se_a = ols_coefficient(df, "T", "M", [])
    b, se_b = ols_coefficient(df, "M", "Y", ["T"])
    se = np.sqrt(a**2 * se_b**2 + b**2 * se_a**2)  # delta method
    assert abs(a * b - truth) < 4 * se


def test_simulate_shape_and_defaults():
    dag = DAG("B -> A; C")
    df = dag.linear_sem().simulate(10, rng=np.random.default_rng(0))
    assert list(df.columns) == ["B", "A", "C"]
    assert df.shape == (10, 3)
    quiet = dag.linear_sem(noise_sd={"A": 0.0}).simulate(
        10, rng=np.random.default_rng(0))
    np.testing.assert_allclose(quiet["A"], quiet["B"])  # coefficient 1


def test_simulate_takes_a_seed_or_a_generator():
    sem = DAG_FOR_ERRORS.linear_sem()
    pd.testing.assert_frame_equal(
        sem.simulate(5, rng=42),
        sem.simulate(5, rng=np.random.default_rng(42)),
    )
    with pytest.raises(TypeError, match="seed .* or a numpy Generator"):
        sem.simulate(5, rng="42")
    # Bug: None was accepted (an unreproducible draw), and 2**70 rows gave
    # numpy's "Maximum allowed dimension exceeded".
    with pytest.raises(TypeError, match="so the draw can be reproduced"):
        sem.simulate(5, rng=None)
    with pytest.raises(ValueError, match="n must be at most 1000000000"):
        sem.simulate(2**70, rng=1)


def test_linear_sem_holds_its_parameters_and_cannot_be_changed():
    sem = LinearSEM(DAG("X -> T -> Y; X -> Y"),
                    coefficients={"T -> Y": 0.5, ("X", "Y"): 2.0},
                    noise_sd={"Y": 3.0})
    assert dict(sem.coefficients) == {
        ("X", "T"): 1.0, ("T", "Y"): 0.5, ("X", "Y"): 2.0}
    assert dict(sem.noise_sd) == {"X": 1.0, "T": 1.0, "Y": 3.0}
    assert sem.dag == DAG("X -> T -> Y; X -> Y")
    assert "coefficients={'X -> T': 1.0" in repr(sem)
    with pytest.raises(TypeError):
        sem.coefficients[("X", "T")] = 5.0
    with pytest.raises(AttributeError, match="cannot be changed"):
        sem.noise_sd = 2.0
    with pytest.raises(TypeError, match="dag must be a DAG"):
        LinearSEM("X -> Y")


# --- construction, parsing and immutability ---------------------------------

def test_string_forms():
    dag = DAG("A -> B -> C\n D;; A -> C")
    assert dag.nodes == ("A", "B", "C", "D")
    assert dag.edges == (("A", "B"), ("B", "C"), ("A", "C"))
    assert DAG(str(dag)) == dag
    assert eval(repr(dag)) == dag
    assert DAG([("A", "B"), ("B", "C"), ("A", "C")], nodes=["D"]) == dag
    assert DAG(dag.to_networkx()) == dag
    assert DAG(dag) == dag and hash(DAG(dag)) == hash(dag)
    long = DAG("; ".join(f"variable_{i} -> variable_{i + 1}"
                         for i in range(12)))
    assert "\n" in repr(long) and eval(repr(long)) == long
    assert all(len(line) <= 79 for line in repr(long).splitlines())


def test_structure_queries():
    dag = DAG("A -> B -> C; D -> C; C -> E")
    assert dag.parents("C") == {"B", "D"}
    assert dag.children("C") == {"E"}
    assert dag.ancestors("C") == {"A", "B", "D"}
    assert dag.ancestors({"B", "D"}) == {"A"}
    assert dag.descendants("B") == {"C", "E"}
    assert "A" in dag and "Z" not in dag and ["A"] not in dag
    assert len(dag) == 5


def test_do_and_remove_outgoing_return_new_graphs():
    dag = DAG("U -> T; U -> Y; T -> M -> Y")
    assert dag.do("T") == DAG("U -> Y; T -> M -> Y")
    assert dag.do(["T", "M"]) == DAG("U -> Y; M -> Y; T")
    assert dag.remove_outgoing("T") == DAG("U -> T; U -> Y; M -> Y")
    assert dag == DAG("U -> T; U -> Y; T -> M -> Y")  # unchanged


def test_dag_cannot_be_changed():
    dag = DAG("A -> B")
    with pytest.raises(AttributeError, match="cannot be changed"):
        dag.edges = ()
    with pytest.raises(AttributeError, match="cannot be changed"):
        del dag._nodes
    assert isinstance(dag.nodes, tuple) and isinstance(dag.edges, tuple)
    assert isinstance(dag.parents("B"), frozenset)
    graph = dag.to_networkx()
    graph.add_edge("B", "C")
    assert "C" not in dag


def test_inputs_are_not_mutated():
    edges = [["A", "B"], ("B", "C"), ("A", "C")]
    nodes = ["D"]
    saved = copy.deepcopy((edges, nodes))
    dag = DAG(edges, nodes=nodes)
    assert (edges, nodes) == saved

    given_ = {"A"}
    coefs = {("A", "B"): 2.0, "B -> C": 0.5}
    noise = {"A": 0.5}
    do = {"A": 1.0}
    saved = copy.deepcopy((given_, coefs, noise, do))
    dag.d_separated("B", "C", given_)
    dag.is_valid_adjustment_set("B", "C", given_)
    dag.backdoor_adjustment_sets("B", "C", latent=given_)
    sem = dag.linear_sem(coefficients=coefs, noise_sd=noise)
    sem.simulate(5, rng=np.random.default_rng(0), do=do)
    sem.total_effect("A", "C")
    sem.implied_covariance()
    assert (given_, coefs, noise, do) == saved

    graph = nx.DiGraph([("X", "Y")])
    DAG(graph)
    assert list(graph.edges) == [("X", "Y")]


def test_hashable_non_string_nodes():
    dag = DAG([(1, 2), (2, 3), ((0, 0), 3)])
    assert dag.d_separated(1, 3, 2)
    assert dag.backdoor_adjustment_sets(2, 3) == [frozenset()]
    assert "nodes=" in repr(dag)


# --- errors ------------------------------------------------------------------

@pytest.mark.parametrize("edges, match", [
    ("A -> B -> C -> A", r"cycle A -> B -> C -> A"),
    ([("a", "b"), ("b", "a")], r"cycle a -> b -> a"),
    ("A -> A", r"self-loop 'A' -> 'A'"),
    ([(1, 1)], r"self-loop 1 -> 1"),
    ("A -> ", r"cannot parse 'A ->'"),
    ("A => B", r"'A => B' is not a node name"),
    ("1A -> B", r"'1A' is not a node name"),
    (["A -> B"], r"must be a \(parent, child\) pair"),
    ([("A", "B", "C")], r"must be a \(parent, child\) pair"),
    ([("A", None)], r"None cannot be a node"),
])
def test_bad_graphs_are_rejected(edges, match):
    with pytest.raises(ValueError, match=match):
        DAG(edges)


def test_non_iterable_edges_raise_type_error():
    with pytest.raises(TypeError, match="edges must be"):
        DAG(42)


DAG_FOR_ERRORS = DAG("X -> T; X -> Y; T -> Y")


@pytest.mark.parametrize("call, match", [
    (lambda d: d.parents("Q"), r"unknown node 'Q' in node"),
    (lambda d: d.ancestors(["X", "Q"]), r"unknown node 'Q' in nodes"),
    (lambda d: d.d_separated("Q", "Y"), r"unknown node 'Q' in xs"),
    (lambda d: d.d_separated("X", "Y", ["Q"]), r"unknown node 'Q' in given"),
    (lambda d: d.d_separated([], "Y"), r"xs is empty"),
    (lambda d: d.d_separated({"X", "T"}, {"T", "Y"}),
     r"xs and ys share 'T';"),
    (lambda d: d.d_separated("X", "Y", "X"), r"xs and given share"),
    (lambda d: d.is_valid_adjustment_set("T", "T"),
     r"treatment and outcome are the same node 'T'"),
    (lambda d: d.is_valid_adjustment_set("Q", "Y"),
     r"unknown node 'Q' in treatment"),
    (lambda d: d.is_valid_adjustment_set("T", "Q"),
     r"unknown node 'Q' in outcome"),
    (lambda d: d.is_valid_adjustment_set("T", "Y", {"T"}),
     r"given contains the treatment 'T'"),
    (lambda d: d.is_valid_adjustment_set("T", "Y", {"Y", "X"}),
     r"given contains the outcome 'Y'"),
    (lambda d: d.backdoor_adjustment_sets("Y", "Y"),
     r"treatment and outcome are the same"),
    (lambda d: d.backdoor_adjustment_sets("T", "Y", latent="T"),
     r"latent contains the treatment"),
    (lambda d: d.is_frontdoor_set("T", "Y", []), r"mediators is empty"),
    (lambda d: d.is_frontdoor_set("T", "Y", "Y"),
     r"mediators contains the outcome"),
    (lambda d: d.linear_sem().total_effect("T", "T"), r"same node 'T'"),
    (lambda d: d.linear_sem(coefficients={"Y -> T": 1.0}),
     r"'Y -> T', which is not an edge"),
    (lambda d: d.linear_sem(coefficients={("T", "Q"): 1.0}),
     r"\('T', 'Q'\), which is not an edge"),
    (lambda d: d.linear_sem(coefficients={"T -> Y": np.nan}),
     r"coefficient of 'T -> Y' must be finite"),
    (lambda d: d.linear_sem().simulate(0, rng=np.random.default_rng(0)),
     r"n must be at least 1, got 0"),
    (lambda d: d.linear_sem(noise_sd=-1.0),
     r"noise_sd of 'X' is negative"),
    (lambda d: d.linear_sem(noise_sd={"Q": 1.0}),
     r"unknown node 'Q' in noise_sd"),
    (lambda d: d.linear_sem().simulate(5, rng=np.random.default_rng(0),
                                       do={"Q": 1.0}),
     r"unknown node 'Q' in do"),
    (lambda d: d.linear_sem().simulate(5, rng=np.random.default_rng(0),
                                       do={"T": np.inf}),
     r"do value of 'T' must be finite"),
    (lambda d: d.draw(pos={"X": (0, 0)}), r"pos has no position for 'T'"),
    (lambda d: d.draw(latent=["X", "Q"]), r"unknown node 'Q' in latent"),
    (lambda d: d.do("Q"), r"unknown node 'Q'"),
])
def test_bad_queries_raise_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call(DAG_FOR_ERRORS)


@pytest.mark.parametrize("call, match", [
    (lambda d: d.linear_sem().simulate(2.5, rng=0),
     r"n must be an integer, got 2.5"),
    (lambda d: d.linear_sem().simulate(5, rng=0, do={"T": "high"}),
     r"do value of 'T' must be a number"),
    (lambda d: d.linear_sem(coefficients={"T -> Y": "big"}),
     r"coefficient of 'T -> Y' must be a number"),
    (lambda d: draw_dag(d.to_networkx()), r"dag must be a causal_lib"),
])
def test_wrong_types_raise_type_error(call, match):
    with pytest.raises(TypeError, match=match):
        call(DAG_FOR_ERRORS)


# --- drawing ----------------------------------------------------------------

def test_draw_on_given_axes_with_positions():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    pos = {"X": (0, 1), "T": (0, 0), "Y": (1, 0)}
    out = draw_dag(DAG_FOR_ERRORS, ax, pos, labels={"T": "exposure"},
                   node_colors={"T": "#56B4E9"},
                   edge_colors={("T", "Y"): "red"}, latent="X")
    assert out is ax
    texts = sorted(t.get_text() for t in ax.texts if t.get_text())
    assert texts == ["X", "Y", "exposure"]
    fig.canvas.draw()  # renders without error
    plt.close(fig)


def test_draw_dashes_latent_nodes_and_their_arrows():
    import matplotlib.pyplot as plt

    ax = DAG("U -> T; U -> Y; T -> Y").draw(latent="U")
    styles = {t.get_text(): t.get_bbox_patch().get_linestyle()
              for t in ax.texts if t.get_text()}
    assert styles["U"] == "--" and styles["T"] == "-"
    arrows = sorted(a.arrow_patch.get_linestyle() for a in ax.texts
                    if not a.get_text())
    assert arrows == ["-", "--", "--"]
    plt.close("all")


def test_layout_puts_every_parent_left_of_its_children():
    dag = random_dag(12345, max_nodes=15)
    pos = dag_layout(dag)
    for parent, child in dag.edges:
        assert pos[parent][0] < pos[child][0]


def test_draw_delegates_to_draw_dag():
    import matplotlib.pyplot as plt

    dag = DAG("U -> T; U -> Y; T -> M -> Y")
    kwargs = dict(labels={"T": "exposure"}, latent="U")
    shown = [dag.draw(**kwargs), draw_dag(dag, **kwargs)]
    texts = [[(t.get_text(), t.get_position()) for t in ax.texts]
             for ax in shown]
    assert texts[0] == texts[1]
    assert shown[0].get_xlim() == shown[1].get_xlim()
    plt.close("all")
