r"""Causal graphs: directed acyclic graphs and what they imply.

A :class:`DAG` records which variable can cause which. From the graph
alone it answers the questions a causal analysis starts with: which
variables are independent given which (d-separation), which sets of
covariates make an adjustment valid (the backdoor criterion), whether a
mediator identifies the effect when the confounders are hidden (the
frontdoor criterion), and which independencies the data should show if
the graph is right. For teaching and testing it also draws data from a
linear structural model on the graph, with the true total effects
computed from the coefficients, never from an estimator.

See chapter 4 of the book.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterable, Mapping

import networkx as nx
import numpy as np
import pandas as pd

__all__ = ["DAG"]

# Node names in the string form double as DataFrame columns and formula
# terms, so they are restricted to identifier-like ASCII names.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_STATEMENT_SPLIT = re.compile(r"[;\n]")


class DAG:
    r"""A causal directed acyclic graph.

    Parameters
    ----------
    edges : str or iterable of (parent, child) pairs
        Either a string of statements separated by ``;`` or newlines,
        each a chain of arrows or a lone node, such as
        ``"X -> T; X -> Y; T -> Y"`` or ``"A -> B -> C; D"`` (names are
        letters, digits and ``_``, not starting with a digit); or an
        iterable of ``(parent, child)`` pairs of hashable nodes; or a
        :class:`DAG` or :class:`networkx.DiGraph` to copy.
    nodes : iterable, optional
        Extra nodes, for variables without arrows. They come first in
        :attr:`nodes`.

    Raises
    ------
    ValueError
        If the graph has a self-loop or a cycle, an edge is not a pair, or
        the string cannot be parsed. The message names the culprit.

    Notes
    -----
    An arrow :math:`A \to B` says that :math:`A` may be a direct cause of
    :math:`B`; a *missing* arrow is the strong claim, that there is no
    direct effect. A DAG on variables :math:`V_1, \dots, V_k` says that
    their joint distribution factorises as

    .. math::

        P(v_1, \dots, v_k) = \prod_{i=1}^{k} P(v_i \mid \mathrm{pa}_i),

    where :math:`\mathrm{pa}_i` are the values of the parents of
    :math:`V_i`. The input is never modified, and the object cannot be
    changed after it is built: :meth:`do` and :meth:`remove_outgoing`
    return new graphs.

    References
    ----------
    Pearl, J. (2009). *Causality: Models, Reasoning, and Inference*, 2nd
    ed. Cambridge University Press, chapters 1 and 3.

    See chapter 4 of the book.

    Examples
    --------
    >>> dag = DAG("popularity -> exposure -> purchase; "
    ...           "popularity -> purchase")
    >>> dag
    DAG('popularity -> exposure; exposure -> purchase; popularity -> purchase')
    >>> sorted(dag.parents("purchase"))
    ['exposure', 'popularity']
    >>> DAG([("a", "b"), ("b", "a")])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the graph has a cycle a -> b -> a; a causal DAG must be ...
    """

    __slots__ = ("_nodes", "_edges", "_parents", "_children", "_order",
                 "_index")

    def __init__(self, edges=(), *, nodes: Iterable[Hashable] = ()):
        if isinstance(edges, str):
            parsed_nodes, edge_list = _parse(edges)
        elif isinstance(edges, (DAG, nx.DiGraph)):
            parsed_nodes, edge_list = list(edges.nodes), list(edges.edges)
        else:
            parsed_nodes, edge_list = [], _edge_pairs(edges)
        order: dict[Hashable, None] = {}
        for node in (*nodes, *parsed_nodes):
            _check_node(node)
            order.setdefault(node)
        unique_edges: dict[tuple, None] = {}
        for parent, child in edge_list:
            if parent == child:
                raise ValueError(
                    f"self-loop {parent!r} -> {child!r}: a variable cannot "
                    "cause itself in a DAG"
                )
            order.setdefault(parent)
            order.setdefault(child)
            unique_edges.setdefault((parent, child))
        parents = {node: [] for node in order}
        children = {node: [] for node in order}
        for parent, child in unique_edges:
            parents[child].append(parent)
            children[parent].append(child)
        graph = nx.DiGraph()
        graph.add_nodes_from(order)
        graph.add_edges_from(unique_edges)
        if not nx.is_directed_acyclic_graph(graph):
            cycle = [u for u, _ in nx.find_cycle(graph)]
            path = " -> ".join(map(str, [*cycle, cycle[0]]))
            raise ValueError(
                f"the graph has a cycle {path}; a causal DAG must be "
                "acyclic (unroll a feedback loop in time: "
                "x_t -> y_t -> x_t1)"
            )
        index = {node: i for i, node in enumerate(order)}
        # A fixed topological order (ties broken by input order) makes
        # simulations and listings reproducible across runs.
        topo = nx.lexicographical_topological_sort(graph, key=index.get)
        set_ = object.__setattr__
        set_(self, "_nodes", tuple(order))
        set_(self, "_edges", tuple(unique_edges))
        set_(self, "_parents", {v: tuple(p) for v, p in parents.items()})
        set_(self, "_children", {v: tuple(c) for v, c in children.items()})
        set_(self, "_order", tuple(topo))
        set_(self, "_index", index)

    # --- immutability and dunder methods ------------------------------

    def __setattr__(self, name, value):
        raise AttributeError("a DAG cannot be changed; build a new one")

    def __delattr__(self, name):
        raise AttributeError("a DAG cannot be changed; build a new one")

    def __repr__(self) -> str:
        if not all(isinstance(v, str) and _NAME.match(v)
                   for v in self._nodes):
            return f"DAG({list(self._edges)!r}, nodes={list(self._nodes)!r})"
        text = f"DAG({str(self)!r})"
        if len(text) <= 79:
            return text
        # Long graphs: one quoted piece per line, joined by Python's
        # implicit string concatenation, so the repr still evaluates.
        lines, line = [], ""
        for statement in str(self).split("; "):
            if line and len(line) + len(statement) > 66:
                lines.append(line)
                line = ""
            line += statement + "; "
        lines.append(line.removesuffix("; "))
        body = "\n    ".join(repr(piece) for piece in lines)
        return f"DAG(\n    {body}\n)"

    def __str__(self) -> str:
        statements = [f"{p} -> {c}" for p, c in self._edges]
        statements += [
            str(v) for v in self._nodes
            if not self._parents[v] and not self._children[v]
        ]
        return "; ".join(statements)

    def __eq__(self, other) -> bool:
        if not isinstance(other, DAG):
            return NotImplemented
        return (set(self._nodes) == set(other._nodes)
                and set(self._edges) == set(other._edges))

    def __hash__(self) -> int:
        return hash((frozenset(self._nodes), frozenset(self._edges)))

    def __contains__(self, node) -> bool:
        try:
            return node in self._index
        except TypeError:
            return False

    def __len__(self) -> int:
        return len(self._nodes)

    # --- structure ------------------------------------------------------

    @property
    def nodes(self) -> tuple:
        """The nodes, in the order they were first mentioned."""
        return self._nodes

    @property
    def edges(self) -> tuple[tuple, ...]:
        """The edges as ``(parent, child)`` pairs, in input order."""
        return self._edges

    def parents(self, node) -> frozenset:
        """The direct causes of ``node``."""
        return frozenset(self._parents[self._node(node, "node")])

    def children(self, node) -> frozenset:
        """The direct effects of ``node``."""
        return frozenset(self._children[self._node(node, "node")])

    def ancestors(self, nodes) -> frozenset:
        r"""Nodes with a directed path into ``nodes`` (a node or a set).

        A node is not its own ancestor; for a set, the result is the union
        of the members' ancestors.

        Examples
        --------
        >>> sorted(DAG("A -> B -> C; D -> C").ancestors("C"))
        ['A', 'B', 'D']
        """
        start = self._node_set(nodes, "nodes")
        return frozenset(_reach(start, self._parents, inclusive=False))

    def descendants(self, nodes) -> frozenset:
        r"""Nodes reached by a directed path from ``nodes``.

        A node is not its own descendant; for a set, the result is the
        union of the members' descendants.

        Examples
        --------
        >>> sorted(DAG("A -> B -> C; D -> C").descendants("A"))
        ['B', 'C']
        """
        start = self._node_set(nodes, "nodes")
        return frozenset(_reach(start, self._children, inclusive=False))

    def to_networkx(self) -> nx.DiGraph:
        """A copy of the graph as a :class:`networkx.DiGraph`."""
        graph = nx.DiGraph()
        graph.add_nodes_from(self._nodes)
        graph.add_edges_from(self._edges)
        return graph

    def do(self, nodes) -> "DAG":
        r"""The graph after an intervention on ``nodes``.

        Setting a variable by intervention cuts every arrow into it;
        Pearl writes this graph :math:`G_{\overline{X}}`.

        Examples
        --------
        >>> DAG("U -> T; U -> Y; T -> Y").do("T")
        DAG('U -> Y; T -> Y')
        """
        cut = self._node_set(nodes, "nodes")
        return DAG([(p, c) for p, c in self._edges if c not in cut],
                   nodes=self._nodes)

    def remove_outgoing(self, nodes) -> "DAG":
        r"""The graph without the arrows out of ``nodes``.

        Pearl writes this graph :math:`G_{\underline{X}}`; the backdoor
        criterion and the rules of do-calculus use it.

        Examples
        --------
        >>> DAG("U -> T; U -> Y; T -> Y").remove_outgoing("T")
        DAG('U -> T; U -> Y')
        """
        cut = self._node_set(nodes, "nodes")
        return DAG([(p, c) for p, c in self._edges if p not in cut],
                   nodes=self._nodes)

    # --- d-separation -----------------------------------------------------

    def d_separated(self, xs, ys, given=()) -> bool:
        r"""Whether ``given`` d-separates ``xs`` from ``ys``.

        Parameters
        ----------
        xs, ys : node or iterable of nodes
            Two disjoint, non-empty sets of nodes.
        given : node or iterable of nodes, default ()
            The conditioning set, disjoint from ``xs`` and ``ys``.

        Returns
        -------
        bool
            True when every path between ``xs`` and ``ys`` is blocked.

        Raises
        ------
        ValueError
            If a node is unknown, a set is empty or the sets overlap.

        Notes
        -----
        A path is *blocked* by :math:`Z` when it contains a chain
        :math:`A \to M \to B` or a fork :math:`A \leftarrow M \to B` with
        :math:`M \in Z`, or a collider :math:`A \to M \leftarrow B` with
        neither :math:`M` nor any descendant of :math:`M` in :math:`Z`.
        :math:`X` and :math:`Y` are d-separated by :math:`Z`, written
        :math:`(X \perp Y \mid Z)_G`, when every path between them is
        blocked. Then :math:`X \perp Y \mid Z` holds in every distribution
        that factorises over the graph.

        The check is a reachability search (Bayes-ball): it walks from
        ``xs`` along edges, remembering whether it arrived from a child or
        a parent, and passes a node only where the rules above let a path
        through. Each (node, direction) is visited once, so a query costs
        :math:`O(|V| + |E|)`; no path is ever listed.

        References
        ----------
        Pearl, J. (2009). *Causality*, 2nd ed., section 1.2.3.
        Shachter, R. D. (1998). Bayes-Ball: The rational pastime (for
        determining irrelevance and requisite information in belief
        networks and influence diagrams). *Proceedings of the 14th
        Conference on Uncertainty in Artificial Intelligence (UAI).*

        Examples
        --------
        >>> chain = DAG("exposure -> visit -> purchase")
        >>> chain.d_separated("exposure", "purchase")
        False
        >>> chain.d_separated("exposure", "purchase", given="visit")
        True
        >>> collider = DAG("interest -> rated; popularity -> rated")
        >>> collider.d_separated("interest", "popularity")
        True
        >>> collider.d_separated("interest", "popularity", given="rated")
        False
        """
        xs = self._node_set(xs, "xs")
        ys = self._node_set(ys, "ys")
        given = self._node_set(given, "given", allow_empty=True)
        _check_disjoint(xs, "xs", ys, "ys")
        _check_disjoint(xs, "xs", given, "given")
        _check_disjoint(ys, "ys", given, "given")
        return not _d_connected(xs, ys, given, self._parents, self._children)

    # --- identification -------------------------------------------------

    def is_valid_adjustment_set(self, treatment, outcome, given=()) -> bool:
        r"""Whether ``given`` satisfies the backdoor criterion.

        Parameters
        ----------
        treatment, outcome : node
            Two different nodes.
        given : node or iterable of nodes, default ()
            The candidate adjustment set (may be empty).

        Returns
        -------
        bool

        Raises
        ------
        ValueError
            If a node is unknown, the treatment is the outcome, or the set
            contains the treatment or the outcome.

        Notes
        -----
        :math:`Z` satisfies the backdoor criterion relative to
        :math:`(T, Y)` when

        1. no node of :math:`Z` is a descendant of :math:`T`, and
        2. :math:`Z` blocks every path between :math:`T` and :math:`Y`
           that starts with an arrow into :math:`T`; equivalently,
           :math:`(T \perp Y \mid Z)` in :math:`G_{\underline{T}}`, the
           graph without the arrows out of :math:`T`.

        Then the effect is identified by the adjustment formula

        .. math::

            P(y \mid do(t)) = \sum_z P(y \mid t, z)\, P(z).

        The criterion is sufficient, not necessary: the generalised
        adjustment criterion (Shpitser, VanderWeele and Robins, 2010)
        also accepts some sets that contain harmless descendants of
        :math:`T`.

        References
        ----------
        Pearl, J. (1995). Causal diagrams for empirical research.
        *Biometrika* 82(4), 669--688.
        Pearl, J. (2009). *Causality*, 2nd ed., definition 3.3.1.

        Examples
        --------
        >>> dag = DAG("popularity -> exposure; popularity -> purchase; "
        ...           "exposure -> visit -> purchase")
        >>> dag.is_valid_adjustment_set("exposure", "purchase")
        False
        >>> dag.is_valid_adjustment_set("exposure", "purchase",
        ...                             {"popularity"})
        True
        >>> dag.is_valid_adjustment_set("exposure", "purchase",
        ...                             {"popularity", "visit"})
        False
        """
        t, y = self._pair(treatment, outcome)
        z = self._node_set(given, "given", allow_empty=True)
        _check_not_in(z, "given", t, y)
        if z & _reach({t}, self._children, inclusive=False):
            return False
        parents, children = _cut(self._parents, self._children, out_of={t})
        return not _d_connected({t}, {y}, z, parents, children)

    def backdoor_adjustment_sets(self, treatment, outcome, *,
                                 latent=()) -> list[frozenset]:
        r"""All minimal sets that satisfy the backdoor criterion.

        Parameters
        ----------
        treatment, outcome : node
            Two different nodes.
        latent : node or iterable of nodes, default ()
            Unobserved nodes, which no adjustment set may contain.

        Returns
        -------
        list of frozenset
            Every valid set none of whose proper subsets is valid, smallest
            first. ``[frozenset()]`` means no adjustment is needed; ``[]``
            means no set of observed nodes satisfies the criterion.

        Raises
        ------
        ValueError
            If a node is unknown, the treatment is the outcome, or the
            treatment or the outcome is declared latent.

        Notes
        -----
        A minimal set :math:`Z` is a minimal d-separator of :math:`T` and
        :math:`Y` in :math:`G_{\underline{T}}` that avoids the descendants
        of :math:`T` (and the latent nodes). Such a separator lies inside
        :math:`A = \mathrm{An}(\{T, Y\})` (Tian, Paz and Pearl, 1998), and
        for sets inside :math:`A`, d-separation is plain vertex separation
        in the moral graph of :math:`G_{\underline{T}}[A]` (Lauritzen et
        al., 1990). Forbidden nodes are eliminated from that undirected
        graph (their neighbours joined pairwise), so separators avoid them.
        The minimal :math:`T`-:math:`Y` vertex separators are then listed
        by Kloks and Kratsch's method: start from the separator closest to
        :math:`T`, :math:`N(C_Y(N(T)))`, and from each separator :math:`S`
        and :math:`x \in S` not adjacent to :math:`Y`, move :math:`x` to
        :math:`T`'s side: :math:`N(C_Y(S \cup N(x)))`. Here :math:`C_Y(W)`
        is :math:`Y`'s connected component once :math:`W` is removed and
        :math:`N` a neighbourhood.

        Each listed set costs :math:`O(n (n + m))` for a moral graph with
        :math:`n` nodes and :math:`m` edges, so the total is
        :math:`O(K n (n + m))` for :math:`K` minimal sets, instead of the
        :math:`2^n` subsets a brute-force search would test. :math:`K` can
        itself grow exponentially with the graph, but is small for graphs
        drawn by hand.

        References
        ----------
        Pearl, J. (2009). *Causality*, 2nd ed., section 3.3.1.
        Tian, J., Paz, A. and Pearl, J. (1998). Finding minimal
        d-separators. Technical report R-254, UCLA.
        Lauritzen, S. L., Dawid, A. P., Larsen, B. N. and Leimer, H.-G.
        (1990). Independence properties of directed Markov fields.
        *Networks* 20(5), 491--505.
        Kloks, T. and Kratsch, D. (1998). Listing all minimal separators of
        a graph. *SIAM Journal on Computing* 27(3), 605--613.
        van der Zander, B., Liskiewicz, M. and Textor, J. (2019).
        Separators and adjustment sets in causal graphs: complete criteria
        and an algorithmic framework. *Artificial Intelligence* 270, 1--40.

        Examples
        --------
        >>> dag = DAG("interest -> exposure; interest -> purchase; "
        ...           "popularity -> exposure; popularity -> purchase; "
        ...           "exposure -> purchase")
        >>> [sorted(s) for s in
        ...  dag.backdoor_adjustment_sets("exposure", "purchase")]
        [['interest', 'popularity']]
        >>> dag.backdoor_adjustment_sets("exposure", "purchase",
        ...                              latent="interest")
        []
        """
        t, y = self._pair(treatment, outcome)
        hidden = self._node_set(latent, "latent", allow_empty=True)
        _check_not_in(hidden, "latent", t, y)
        parents, _ = _cut(self._parents, self._children, out_of={t})
        relevant = _reach({t, y}, parents, inclusive=True)
        below_t = _reach({t}, self._children, inclusive=False)
        forbidden = (relevant & (below_t | hidden)) - {t, y}
        moral = _moral_graph(relevant, parents)
        graph = _eliminate(moral, forbidden)
        found = _minimal_separators(graph, t, y)
        return sorted(found, key=self._set_key)

    def is_frontdoor_set(self, treatment, outcome, mediators) -> bool:
        r"""Whether ``mediators`` satisfy the frontdoor criterion.

        Parameters
        ----------
        treatment, outcome : node
            Two different nodes.
        mediators : node or iterable of nodes
            The candidate set :math:`M`, non-empty.

        Returns
        -------
        bool

        Raises
        ------
        ValueError
            If a node is unknown, the set is empty, the treatment is the
            outcome, or the set contains the treatment or the outcome.

        Notes
        -----
        :math:`M` satisfies the frontdoor criterion relative to
        :math:`(T, Y)` when

        1. every directed path from :math:`T` to :math:`Y` passes through
           :math:`M`;
        2. no backdoor path from :math:`T` to :math:`M` is open:
           :math:`(T \perp M)` in :math:`G_{\underline{T}}`;
        3. :math:`T` blocks every backdoor path from :math:`M` to
           :math:`Y`: :math:`(M \perp Y \mid T)` in
           :math:`G_{\underline{M}}`.

        Then, even with the confounders of :math:`T` and :math:`Y` hidden,

        .. math::

            P(y \mid do(t)) = \sum_m P(m \mid t)
            \sum_{t'} P(y \mid m, t')\, P(t').

        References
        ----------
        Pearl, J. (1995). Causal diagrams for empirical research.
        *Biometrika* 82(4), 669--688.
        Pearl, J. (2009). *Causality*, 2nd ed., definition 3.3.3 and
        theorem 3.3.4.

        Examples
        --------
        >>> dag = DAG("interest -> exposure; interest -> purchase; "
        ...           "exposure -> visit -> purchase")
        >>> dag.is_frontdoor_set("exposure", "purchase", "visit")
        True
        >>> DAG("U -> T; U -> Y; T -> M -> Y; T -> Y").is_frontdoor_set(
        ...     "T", "Y", "M")
        False
        """
        t, y = self._pair(treatment, outcome)
        m = self._node_set(mediators, "mediators")
        _check_not_in(m, "mediators", t, y)
        # (1) with M removed, no directed path may lead from T to Y.
        blocked = {v: () if v in m else c for v, c in self._children.items()}
        if y in _reach({t}, blocked, inclusive=False):
            return False
        # (2) every path from T to M that starts with an arrow into T is
        # blocked by the empty set.
        parents, children = _cut(self._parents, self._children, out_of={t})
        if _d_connected({t}, m, frozenset(), parents, children):
            return False
        # (3) T blocks every path from M to Y that starts into M.
        parents, children = _cut(self._parents, self._children, out_of=m)
        return not _d_connected(m, {y}, frozenset({t}), parents, children)

    def implied_independencies(self) -> list[tuple]:
        r"""The conditional independencies the graph asks the data to show.

        Returns
        -------
        list of (x, y, given) tuples
            One per pair of non-adjacent nodes: with :math:`Y` the later of
            the two in a topological order, :math:`X \perp Y \mid
            \mathrm{pa}(Y)`. ``given`` is a frozenset.

        Notes
        -----
        Each statement is the local Markov property: a node is independent
        of its non-descendants given its parents. For a linear-Gaussian
        model these pairwise statements together imply every d-separation
        of the graph, so testing them tests everything the graph says
        about the observed distribution; graphs with the same list
        (Markov equivalent graphs) cannot be told apart by data.

        Examples
        --------
        >>> DAG("exposure -> visit -> purchase").implied_independencies()
        [('exposure', 'purchase', frozenset({'visit'}))]
        """
        out = []
        for position, later in enumerate(self._order):
            neighbours = {*self._parents[later], *self._children[later]}
            for earlier in self._order[:position]:
                if earlier not in neighbours:
                    out.append((earlier, later,
                                frozenset(self._parents[later])))
        return out

    # --- linear structural models ----------------------------------------

    def simulate_linear(self, n: int, *, rng: np.random.Generator,
                        coefficients=None, noise_sd=1.0,
                        do=None) -> pd.DataFrame:
        r"""Draw data from a linear structural model on the graph.

        Parameters
        ----------
        n : int
            Number of rows (units).
        rng : numpy.random.Generator
            Source of randomness.
        coefficients : mapping, optional
            Edge to coefficient. Keys are ``(parent, child)`` pairs or
            strings ``"parent -> child"``; edges left out have
            coefficient 1.
        noise_sd : float or mapping, default 1.0
            Standard deviation of every node's noise, or a mapping from
            node to standard deviation (nodes left out get 1).
        do : mapping, optional
            Node to value: these nodes are set to the value for every unit
            instead of following their equation (an intervention).

        Returns
        -------
        pandas.DataFrame
            One column per node, in :attr:`nodes` order.

        Raises
        ------
        ValueError
            If ``n`` is not a positive integer, a key is not an edge or a
            node, or a number is not finite (or a standard deviation is
            negative).

        Notes
        -----
        Each node follows

        .. math::

            V_j = \sum_{i \in \mathrm{pa}(j)} \beta_{ij} V_i
            + \sigma_j \varepsilon_j, \qquad
            \varepsilon_j \sim N(0, 1) \text{ independent}.

        All the noise is drawn first, in one block, so two calls with
        identically seeded generators share their noise whatever ``do``
        says: the difference between two interventions is then the exact
        effect for every unit.

        Examples
        --------
        >>> dag = DAG("T -> Y")
        >>> df = dag.simulate_linear(3, rng=np.random.default_rng(0),
        ...                          coefficients={"T -> Y": 2.0},
        ...                          do={"T": 1.0})
        >>> list(df.columns), df["T"].tolist()
        (['T', 'Y'], [1.0, 1.0, 1.0])
        """
        n = _check_n(n)
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                "rng must be a numpy Generator, e.g. "
                "np.random.default_rng(42)"
            )
        beta = self._coefficients(coefficients)
        sd = self._noise_sd(noise_sd)
        fixed = self._interventions(do)
        noise = rng.standard_normal((n, len(self._nodes)))
        values = {}
        for node in self._order:
            if node in fixed:
                values[node] = np.full(n, fixed[node])
                continue
            column = sd[node] * noise[:, self._index[node]]
            for parent in self._parents[node]:
                column = column + beta[(parent, node)] * values[parent]
            values[node] = column
        return pd.DataFrame({node: values[node] for node in self._nodes})

    def total_effect(self, treatment, outcome, *,
                     coefficients=None) -> float:
        r"""The true total effect of ``treatment`` on ``outcome``.

        In the linear model of :meth:`simulate_linear`, raising the
        treatment by one unit by intervention changes the outcome's mean
        by this much.

        Parameters
        ----------
        treatment, outcome : node
            Two different nodes.
        coefficients : mapping, optional
            As in :meth:`simulate_linear`.

        Returns
        -------
        float

        Notes
        -----
        Wright's path rule: the total effect is the sum, over directed
        paths from :math:`T` to :math:`Y`, of the product of the
        coefficients along the path,

        .. math::

            \frac{\partial\, E[Y \mid do(T = t)]}{\partial t}
            = \sum_{p:\, T \to \cdots \to Y}\ \prod_{(i, j) \in p}
            \beta_{ij}.

        It is computed from the coefficients alone, in one pass over a
        topological order (so without listing the paths), never from data.

        References
        ----------
        Wright, S. (1934). The method of path coefficients. *Annals of
        Mathematical Statistics* 5(3), 161--215.

        Examples
        --------
        >>> dag = DAG("exposure -> visit -> purchase; exposure -> purchase")
        >>> effect = dag.total_effect("exposure", "purchase", coefficients={
        ...     "exposure -> visit": 0.5, "visit -> purchase": 0.4,
        ...     "exposure -> purchase": 0.1})
        >>> round(effect, 12)  # 0.5 * 0.4 + 0.1
        0.3
        """
        t, y = self._pair(treatment, outcome)
        beta = self._coefficients(coefficients)
        # effect[v] sums, over directed paths t -> ... -> v, the products
        # of coefficients; a topological order sees every parent first.
        effect = dict.fromkeys(self._nodes, 0.0)
        effect[t] = 1.0
        for node in self._order:
            if node != t:
                effect[node] = sum(beta[(p, node)] * effect[p]
                                   for p in self._parents[node])
        return float(effect[y])

    def implied_covariance(self, *, coefficients=None,
                           noise_sd=1.0) -> pd.DataFrame:
        r"""The covariance matrix of the linear model's variables.

        Parameters
        ----------
        coefficients, noise_sd
            As in :meth:`simulate_linear`.

        Returns
        -------
        pandas.DataFrame
            Nodes by nodes.

        Notes
        -----
        With :math:`B_{ij} = \beta_{ij}` and :math:`D` the diagonal matrix
        of noise variances, the row vector of variables solves
        :math:`V = V B + \varepsilon`, so

        .. math::

            \operatorname{Cov}(V) = (I - B)^{-\top} D\, (I - B)^{-1}.

        Any population regression coefficient follows from it, which lets
        a chapter check what a regression *should* give on data from the
        model, right or wrong adjustment alike.

        Examples
        --------
        >>> cov = DAG("X -> Y").implied_covariance(
        ...     coefficients={"X -> Y": 2.0})
        >>> cov.loc["Y", "Y"], cov.loc["X", "Y"]
        (np.float64(5.0), np.float64(2.0))
        """
        beta = self._coefficients(coefficients)
        sd = self._noise_sd(noise_sd)
        k = len(self._nodes)
        b = np.zeros((k, k))
        for (parent, child), value in beta.items():
            b[self._index[parent], self._index[child]] = value
        inverse = np.linalg.inv(np.eye(k) - b)
        variances = np.diag([sd[v] ** 2 for v in self._nodes])
        cov = inverse.T @ variances @ inverse
        return pd.DataFrame(cov, index=list(self._nodes),
                            columns=list(self._nodes))

    # --- drawing ------------------------------------------------------------

    def layout(self) -> dict:
        r"""Default node positions for :meth:`draw`: layers, left to right.

        Each node sits one layer to the right of its latest parent (nodes
        without parents move right, next to their earliest child), and the
        nodes of a layer are ordered by the mean height of their
        neighbours, which untangles most crossings.

        Returns
        -------
        dict
            Node to ``(x, y)``.
        """
        layer = {}
        for node in self._order:
            ps = self._parents[node]
            layer[node] = 1 + max(layer[p] for p in ps) if ps else 0
        for node in reversed(self._order):
            if not self._parents[node] and self._children[node]:
                layer[node] = min(layer[c] for c in self._children[node]) - 1
        depth = max(layer.values(), default=-1) + 1
        rows = [[v for v in self._nodes if layer[v] == i]
                for i in range(depth)]
        height = {}

        def place():
            for row in rows:
                for i, v in enumerate(row):
                    height[v] = (len(row) - 1) / 2 - i

        def barycentre(v):
            # Sorting a layer by its nodes' mean neighbour height (highest
            # first) pulls connected nodes level, which removes crossings.
            near = [height[u] for u in self._parents[v] + self._children[v]
                    if layer[u] != layer[v]]
            return -float(np.mean(near)) if near else -height[v]

        place()
        for sweep in range(4):
            # Alternate directions so that parents and children both pull.
            for row in (rows if sweep % 2 == 0 else rows[::-1]):
                row.sort(key=barycentre)
                place()
        return {v: (float(layer[v]), height[v]) for v in self._nodes}

    def draw(self, ax=None, pos=None, *, labels=None, node_colors=None,
             edge_colors=None, latent=()):
        r"""Draw the graph with matplotlib (no Graphviz needed).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure sized to the graph if omitted.
        pos : mapping, optional
            Node to ``(x, y)``; defaults to :meth:`layout`.
        labels : mapping, optional
            Node to the text shown (default: the node's name).
        node_colors : mapping, optional
            Node to a fill colour (default: white).
        edge_colors : mapping, optional
            ``(parent, child)`` to a line colour (default: dark grey).
        latent : node or iterable of nodes, default ()
            Unobserved nodes, drawn with a dashed outline; the arrows out
            of them are dashed too.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> ax = DAG("X -> T; X -> Y; T -> Y").draw(latent="X")
        >>> sorted(t.get_text() for t in ax.texts if t.get_text())
        ['T', 'X', 'Y']
        >>> plt.close("all")
        """
        import matplotlib.pyplot as plt

        pos = self.layout() if pos is None else dict(pos)
        missing = [v for v in self._nodes if v not in pos]
        if missing:
            raise ValueError(f"pos has no position for {missing[0]!r}")
        hidden = self._node_set(latent, "latent", allow_empty=True)
        text = {v: str((labels or {}).get(v, v)) for v in self._nodes}
        node_colors = dict(node_colors or {})
        edge_colors = dict(edge_colors or {})
        half = {v: _box_half_size(text[v]) for v in self._nodes}
        if ax is not None:
            box = ax.get_position()
            width, height = ax.figure.get_size_inches()
            span_x = np.ptp([pos[v][0] for v in self._nodes] or [0]) + 1
            span_y = np.ptp([pos[v][1] for v in self._nodes] or [0]) + 1
            scale = (box.width * width / span_x, box.height * height / span_y)
        else:
            scale = (_INCH_X, _INCH_Y)
        bends = {e: _bend(*e, pos, half, scale) for e in self._edges}
        # The limits hold every box and every curved arrow.
        xs, ys = [0.0], [0.0]
        if self._nodes:
            xs = [pos[v][0] + s * (w + 0.1) / scale[0]
                  for v, (w, _) in half.items() for s in (-1, 1)]
            ys = [pos[v][1] + s * (h + 0.1) / scale[1]
                  for v, (_, h) in half.items() for s in (-1, 1)]
        for (parent, child), rad in bends.items():
            px, py = _arc(pos[parent], pos[child], rad, scale)
            xs.extend(px / scale[0])
            ys.extend(py / scale[1])
        xlim = (min(xs), max(xs))
        ylim = (min(ys) - 0.05, max(ys) + 0.05)
        if ax is None:
            fig, ax = plt.subplots(figsize=(
                min((xlim[1] - xlim[0]) * _INCH_X, 12),
                min((ylim[1] - ylim[0]) * _INCH_Y, 9),
            ))
            fig.subplots_adjust(left=0, right=1, bottom=0, top=1)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_axis_off()
        boxes = {}
        for v in self._nodes:
            boxes[v] = ax.text(
                *pos[v], text[v], ha="center", va="center",
                zorder=3, fontsize=_FONT_SIZE,
                bbox=dict(boxstyle="round,pad=0.4",
                          fc=node_colors.get(v, "white"), ec="0.2",
                          lw=1.2, ls="--" if v in hidden else "-"),
            )
        for parent, child in self._edges:
            ax.annotate(
                "", xy=pos[child], xytext=pos[parent], zorder=4,
                arrowprops=dict(
                    arrowstyle="-|>", mutation_scale=14, lw=1.4,
                    ls="--" if parent in hidden else "-",
                    color=edge_colors.get((parent, child), "0.25"),
                    shrinkA=3, shrinkB=3,
                    # Clip the arrow at the two boxes' outlines.
                    patchA=boxes[parent].get_bbox_patch(),
                    patchB=boxes[child].get_bbox_patch(),
                    connectionstyle=f"arc3,rad={bends[(parent, child)]}",
                ),
            )
        return ax

    # --- argument checks ----------------------------------------------------

    def _unknown(self, node, role) -> ValueError:
        known = ", ".join(map(repr, self._nodes[:12]))
        more = ", ..." if len(self._nodes) > 12 else ""
        return ValueError(
            f"unknown node {node!r} in {role}; the graph's nodes are "
            f"{known}{more}"
        )

    def _node(self, node, role):
        if node not in self:
            raise self._unknown(node, role)
        return node

    def _node_set(self, nodes, role, *, allow_empty=False) -> frozenset:
        """A node or an iterable of nodes, checked, as a frozenset."""
        if nodes in self:
            result = frozenset([nodes])
        elif isinstance(nodes, str) or not isinstance(nodes, Iterable):
            raise self._unknown(nodes, role)
        else:
            result = frozenset(nodes)
            for node in result:
                self._node(node, role)
        if not result and not allow_empty:
            raise ValueError(f"{role} is empty; give at least one node")
        return result

    def _pair(self, treatment, outcome):
        t = self._node(treatment, "treatment")
        y = self._node(outcome, "outcome")
        if t == y:
            raise ValueError(
                f"treatment and outcome are the same node {t!r}; an effect "
                "needs two different variables"
            )
        return t, y

    def _set_key(self, nodes):
        return len(nodes), sorted(self._index[v] for v in nodes)

    def _coefficients(self, coefficients) -> dict:
        beta = dict.fromkeys(self._edges, 1.0)
        for key, value in dict(coefficients or {}).items():
            edge = key
            if isinstance(key, str):
                parts = [part.strip() for part in key.split("->")]
                edge = tuple(parts) if len(parts) == 2 else key
            if edge not in beta:
                raise ValueError(
                    f"coefficients has {key!r}, which is not an edge of "
                    "the graph"
                )
            beta[edge] = _finite(value, f"coefficient of {key!r}")
        return beta

    def _noise_sd(self, noise_sd) -> dict:
        if isinstance(noise_sd, Mapping):
            sd = dict.fromkeys(self._nodes, 1.0)
            for node, value in noise_sd.items():
                sd[self._node(node, "noise_sd")] = value
        else:
            sd = dict.fromkeys(self._nodes, noise_sd)
        for node, value in sd.items():
            sd[node] = _finite(value, f"noise_sd of {node!r}")
            if sd[node] < 0:
                raise ValueError(
                    f"noise_sd of {node!r} is negative ({value!r})"
                )
        return sd

    def _interventions(self, do) -> dict:
        fixed = {}
        for node, value in dict(do or {}).items():
            fixed[self._node(node, "do")] = _finite(
                value, f"do value of {node!r}"
            )
        return fixed


# --- drawing helpers ---------------------------------------------------------

# Inches per unit of layout: layers are 1.6 in apart, rows 0.9 in.
_INCH_X, _INCH_Y = 1.6, 0.9
_FONT_SIZE = 11


def _box_half_size(label: str) -> tuple[float, float]:
    """Approximate half width and height, in inches, of a node's box."""
    lines = label.split("\n")
    em = _FONT_SIZE / 72
    pad = 0.4 * em
    width = 0.6 * em * max(len(line) for line in lines) + 2 * pad
    height = 1.2 * em * len(lines) + 2 * pad
    return width / 2, height / 2


def _arc(start, end, rad, scale) -> tuple[np.ndarray, np.ndarray]:
    """Points, in inches, along matplotlib's arc3 curve from start to end.

    arc3 is a quadratic Bezier curve whose control point sits ``rad``
    times the chord's length off the chord's midpoint.
    """
    sx, sy = scale
    x0, y0, x1, y1 = start[0] * sx, start[1] * sy, end[0] * sx, end[1] * sy
    cx = (x0 + x1) / 2 + rad * (y1 - y0)
    cy = (y0 + y1) / 2 - rad * (x1 - x0)
    t = np.linspace(0.08, 0.92, 22)
    px = (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t ** 2 * x1
    py = (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t ** 2 * y1
    return px, py


def _bend(parent, child, pos, half, scale) -> float:
    """The arc3 curvature that keeps an arrow clear of the other boxes.

    Straight if possible, else the gentlest bend (either side) whose curve
    crosses the fewest boxes; computed in inches so it matches the screen.
    """
    sx, sy = scale
    others = [
        (pos[v][0] * sx, pos[v][1] * sy, *half[v])
        for v in pos if v not in (parent, child) and v in half
    ]
    best, fewest = 0.0, None
    for rad in (0.0, 0.2, -0.2, 0.35, -0.35, 0.5, -0.5):
        px, py = _arc(pos[parent], pos[child], rad, scale)
        hits = sum(
            bool(np.any((abs(px - ox) < hw + 0.05)
                        & (abs(py - oy) < hh + 0.05)))
            for ox, oy, hw, hh in others
        )
        if fewest is None or hits < fewest:
            best, fewest = rad, hits
        if hits == 0:
            break
    return best


# --- helpers (module-private) ------------------------------------------------

def _parse(text: str) -> tuple[list, list]:
    nodes: dict[str, None] = {}
    edges = []
    for statement in _STATEMENT_SPLIT.split(text):
        statement = statement.strip()
        if not statement:
            continue
        names = [part.strip() for part in statement.split("->")]
        for name in names:
            if not _NAME.match(name):
                raise ValueError(
                    f"cannot parse {statement!r}: {name!r} is not a node "
                    "name (use letters, digits and _, not starting with a "
                    "digit, and '->' between names)"
                )
            nodes.setdefault(name)
        edges.extend(zip(names, names[1:]))
    return list(nodes), edges


def _edge_pairs(edges) -> list[tuple]:
    if not isinstance(edges, Iterable):
        raise TypeError(
            "edges must be a string such as 'X -> Y' or an iterable of "
            f"(parent, child) pairs, got {type(edges).__name__}"
        )
    pairs = []
    for edge in edges:
        if isinstance(edge, str) or not isinstance(edge, Iterable):
            raise ValueError(
                f"each edge must be a (parent, child) pair, got {edge!r}; "
                "a string graph goes whole: DAG('A -> B; B -> C')"
            )
        edge = tuple(edge)
        if len(edge) != 2:
            raise ValueError(
                f"each edge must be a (parent, child) pair, got {edge!r}"
            )
        for node in edge:
            _check_node(node)
        pairs.append(edge)
    return pairs


def _check_node(node) -> None:
    if node is None:
        raise ValueError("None cannot be a node")
    hash(node)  # an unhashable node raises TypeError here, not later


def _check_disjoint(a, role_a, b, role_b) -> None:
    common = a & b
    if common:
        raise ValueError(
            f"{role_a} and {role_b} share "
            f"{', '.join(sorted(map(repr, common)))}; "
            "d-separation is about disjoint sets"
        )


def _check_not_in(nodes, role, treatment, outcome) -> None:
    for node, what in ((treatment, "treatment"), (outcome, "outcome")):
        if node in nodes:
            raise ValueError(f"{role} contains the {what} {node!r}")


def _check_n(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    return int(n)


def _finite(value, what) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return number


def _reach(start, step: Mapping, *, inclusive: bool) -> set:
    """Nodes reached from ``start`` by following ``step`` (parents or
    children) any number of times."""
    seen = set(start) if inclusive else set()
    stack = list(start)
    while stack:
        for nxt in step[stack.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _cut(parents, children, *, out_of) -> tuple[dict, dict]:
    """Parent and child maps without the arrows out of ``out_of``."""
    new_parents = {
        v: tuple(p for p in ps if p not in out_of) for v, ps in parents.items()
    }
    new_children = {
        v: () if v in out_of else cs for v, cs in children.items()
    }
    return new_parents, new_children


def _d_connected(xs, ys, given, parents, children) -> bool:
    """Bayes-ball: is some node of ``ys`` reachable from ``xs`` along a
    path that ``given`` leaves open?"""
    # A collider lets a path through only when it or one of its
    # descendants is observed, i.e. when it is an ancestor of `given`.
    opens_collider = _reach(given, parents, inclusive=True)
    # True: the ball arrived from a child (it travels up against the
    # arrow); False: it arrived from a parent (travelling down).
    stack = [(x, True) for x in xs]
    visited = set()
    while stack:
        node, up = stack.pop()
        if (node, up) in visited:
            continue
        visited.add((node, up))
        if node in given:
            if not up:  # an observed collider: bounce back to its parents
                stack.extend((p, True) for p in parents[node])
            continue
        if node in ys:
            return True
        stack.extend((c, False) for c in children[node])
        if up or node in opens_collider:
            stack.extend((p, True) for p in parents[node])
    return False


def _moral_graph(nodes, parents) -> dict:
    """Undirected moral graph of the subgraph on ``nodes`` (which must be
    closed under taking parents): parents of a common child are joined."""
    adjacent = {v: set() for v in nodes}
    for child in nodes:
        ps = parents[child]
        for i, p in enumerate(ps):
            adjacent[p].add(child)
            adjacent[child].add(p)
            for q in ps[i + 1:]:
                adjacent[p].add(q)
                adjacent[q].add(p)
    return adjacent


def _eliminate(adjacent, forbidden) -> dict:
    """Remove ``forbidden`` vertices, joining the vertices around each
    connected group of them, so a separator can never need them."""
    result = {
        v: {w for w in ws if w not in forbidden}
        for v, ws in adjacent.items() if v not in forbidden
    }
    done = set()
    for start in forbidden:
        if start in done:
            continue
        group = _reach({start}, {v: [w for w in adjacent[v] if w in forbidden]
                                 for v in forbidden}, inclusive=True)
        done |= group
        border = {w for v in group for w in adjacent[v] if w not in forbidden}
        for v in border:
            result[v] |= border - {v}
    return result


def _minimal_separators(adjacent, a, b) -> set[frozenset]:
    """Every minimal a-b vertex separator of an undirected graph."""
    if b in adjacent[a]:
        return set()
    # Vertex sets as bit masks: unions and differences become single
    # integer operations, which is what the inner loop does all the time.
    names = list(adjacent)
    bit = {v: 1 << i for i, v in enumerate(names)}
    neighbours = [sum(bit[w] for w in adjacent[v]) for v in names]
    b_bit = bit[b]

    def close_to_b(removed: int) -> int:
        # The neighbourhood of b's component is a minimal separator: each
        # of its vertices touches that component and the rest of the graph.
        component = frontier = b_bit
        around = 0
        while frontier:
            reached = 0
            while frontier:
                low = frontier & -frontier
                reached |= neighbours[low.bit_length() - 1]
                frontier ^= low
            around |= reached
            frontier = reached & ~removed & ~component
            component |= frontier
        return around & ~component

    first = close_to_b(neighbours[names.index(a)])
    found = {first}
    queue = [first]
    while queue:
        separator = queue.pop()
        rest = separator
        while rest:
            low = rest & -rest
            rest ^= low
            x_neighbours = neighbours[low.bit_length() - 1]
            if x_neighbours & b_bit:
                continue
            new = close_to_b(separator | x_neighbours)
            if new not in found:
                found.add(new)
                queue.append(new)
    return {
        frozenset(v for v in names if mask & bit[v]) for mask in found
    }
