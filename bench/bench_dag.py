"""causal_lib.dag: d-separation on a 200-node DAG, minimal adjustment sets
on 30-node DAGs (a random one and a worst case with 2**14 minimal sets)."""

from __future__ import annotations

import random

import networkx as nx

from _timing import Result, best_of
from causal_lib.dag import DAG


def random_dag(n: int, mean_parents: float, seed: int) -> DAG:
    """Random ordering; each earlier node is a parent with equal chance."""
    rnd = random.Random(seed)
    order = list(range(n))
    rnd.shuffle(order)
    p = 2 * mean_parents / (n - 1)
    edges = [(order[i], order[j]) for i in range(n)
             for j in range(i + 1, n) if rnd.random() < p]
    return DAG(edges, nodes=range(n))


def d_separation() -> list[Result]:
    dag = random_dag(200, mean_parents=2.0, seed=1)
    rnd = random.Random(2)
    queries = []
    for _ in range(200):
        x, y, *z = rnd.sample(dag.nodes, 12)
        queries.append(({x}, {y}, set(z)))
    graph = dag.to_networkx()

    def ours():
        for x, y, z in queries:
            dag.d_separated(x, y, z)

    def networkx():
        for x, y, z in queries:
            nx.is_d_separator(graph, x, y, z)

    per_query = best_of(ours) / len(queries)
    reference = best_of(networkx) / len(queries)
    return [Result(
        f"d_separated, 200-node DAG ({len(dag.edges)} edges), one query, "
        "10 given",
        per_query * 1e3, 10.0, "ms",
        f"(networkx.is_d_separator: {reference * 1e3:.2f} ms)",
    )]


def minimal_sets() -> list[Result]:
    # The random graph's (treatment, outcome) pair with the most minimal
    # sets among pairs with a causal path, to make the listing work.
    dag = random_dag(30, mean_parents=2.5, seed=3)
    pairs = [(t, y) for t in dag.nodes for y in dag.descendants(t)]
    t, y = max(pairs, key=lambda p: len(dag.backdoor_adjustment_sets(*p)))
    count = len(dag.backdoor_adjustment_sets(t, y))
    random_time = best_of(lambda: dag.backdoor_adjustment_sets(t, y))

    # 14 confounding paths U_i -> W_i -> T, U_i -> Y: each is blocked by
    # U_i or W_i, so there are 2**14 minimal sets on 30 nodes.
    ladder = DAG("; ".join(
        f"U{i} -> W{i} -> T; U{i} -> Y" for i in range(14)
    ) + "; T -> Y")
    ladder_time = best_of(
        lambda: ladder.backdoor_adjustment_sets("T", "Y"), repeat=2
    )
    return [
        Result(
            f"backdoor_adjustment_sets, random 30-node DAG "
            f"({len(dag.edges)} edges)",
            random_time, 1.0, "s", f"({count} minimal sets)",
        ),
        Result(
            "backdoor_adjustment_sets, 30-node worst case",
            ladder_time, 1.0, "s", "(16384 minimal sets)",
        ),
    ]


def run() -> list[Result]:
    return d_separation() + minimal_sets()
