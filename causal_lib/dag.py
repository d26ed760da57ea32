r"""Causal graphs: directed acyclic graphs and what they imply.

A :class:`DAG` records which variable can cause which. From the graph
alone it answers the questions a causal analysis starts with: which
variables are independent given which (d-separation), which sets of
covariates make an adjustment valid (the backdoor criterion), whether a
mediator identifies the effect when the confounders are hidden (the
frontdoor criterion), and which independencies the data should show if
the graph is right. For teaching and testing, a :class:`LinearSEM` puts
coefficients on the arrows: it draws data from the linear structural
model and gives its true total effects and covariance, computed from the
coefficients, never from an estimator. Drawing lives in
:func:`causal_lib.plotting.draw_dag`.

The module reads in three parts: :class:`_Graph` is the structure (nodes,
arrows, ancestors, the graphs after cutting arrows), :class:`DAG` adds the
criteria, and :class:`LinearSEM` the linear model.

See :ref:`ch-dag`.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping
from types import MappingProxyType

import networkx as nx
import numpy as np
import pandas as pd

from causal_lib._checks import (
    MAX_ROWS,
    check_count,
    check_finite,
    check_rng,
)

__all__ = ["DAG", "LinearSEM"]

# Node names in the string form double as DataFrame columns and formula
# terms, so they are restricted to identifier-like ASCII names.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_STATEMENT_SPLIT = re.compile(r"[;\n]")


class _Graph:
    r"""The structure of a causal DAG: nodes, arrows, ancestors.

    Immutable; :meth:`do` and :meth:`remove_outgoing` return new graphs.
    The arrows are kept in a frozen :class:`networkx.DiGraph`, whose
    ``pred`` and ``succ`` maps list each node's parents and children in
    input order. :class:`DAG` adds the criteria; see its docstring for the
    constructor's parameters.
    """

    __slots__ = ("_nodes", "_edges", "_graph", "_order", "_index")

    def __init__(self, edges=(), *, nodes: Iterable[Hashable] = ()):
        parsed_nodes, edge_list = _nodes_and_edges(edges)
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
        set_(self, "_graph", nx.freeze(graph))
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
            str(v) for v in self._nodes if self._graph.degree(v) == 0
        ]
        return "; ".join(statements)

    def __eq__(self, other) -> bool:
        if not isinstance(other, _Graph):
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

    @property
    def topological_order(self) -> tuple:
        """The nodes, parents before children (ties in input order)."""
        return self._order

    def parents(self, node) -> frozenset:
        """The direct causes of ``node``."""
        return frozenset(self._graph.pred[self._node(node, "node")])

    def children(self, node) -> frozenset:
        """The direct effects of ``node``."""
        return frozenset(self._graph.succ[self._node(node, "node")])

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
        return frozenset().union(
            *(nx.ancestors(self._graph, v) for v in start)
        )

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
        return frozenset().union(
            *(nx.descendants(self._graph, v) for v in start)
        )

    def to_networkx(self) -> nx.DiGraph:
        """A copy of the graph as a :class:`networkx.DiGraph`."""
        return nx.DiGraph(self._graph)

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
        return type(self)([(p, c) for p, c in self._edges if c not in cut],
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
        return type(self)([(p, c) for p, c in self._edges if p not in cut],
                          nodes=self._nodes)

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



class DAG(_Graph):
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

    See Also
    --------
    LinearSEM : a linear structural model on the graph
        (:meth:`linear_sem`).
    causal_lib.plotting.draw_dag : the drawing behind :meth:`draw`.

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

    See :ref:`ch-dag`.

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

    __slots__ = ()

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

        The check is networkx's :func:`networkx.is_d_separator`, a
        reachability search (Bayes-ball): it walks from ``xs`` along
        edges, remembering whether it arrived from a child or a parent,
        and passes a node only where the rules above let a path through.
        Each (node, direction) is visited once, so a query costs
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
        return nx.is_d_separator(self._graph, xs, ys, given)

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
        if z & nx.descendants(self._graph, t):
            return False
        return nx.is_d_separator(_cut(self._graph, {t}), {t}, {y}, z)

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
        cut = _cut(self._graph, {t})
        relevant = {t, y} | nx.ancestors(cut, t) | nx.ancestors(cut, y)
        below_t = nx.descendants(self._graph, t)
        forbidden = (relevant & (below_t | hidden)) - {t, y}
        moral = nx.moral_graph(cut.subgraph(relevant))
        found = _minimal_separators(_eliminate(moral, forbidden), t, y)
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
        if nx.has_path(nx.restricted_view(self._graph, m, ()), t, y):
            return False
        # (2) every path from T to M that starts with an arrow into T is
        # blocked by the empty set.
        if not nx.is_d_separator(_cut(self._graph, {t}), {t}, m, set()):
            return False
        # (3) T blocks every path from M to Y that starts into M.
        return nx.is_d_separator(_cut(self._graph, m), m, {y}, {t})

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
            neighbours = {*self._graph.pred[later], *self._graph.succ[later]}
            for earlier in self._order[:position]:
                if earlier not in neighbours:
                    out.append((earlier, later,
                                frozenset(self._graph.pred[later])))
        return out

    # --- delegates ------------------------------------------------------

    def linear_sem(self, *, coefficients=None,
                   noise_sd=1.0) -> "LinearSEM":
        """The linear structural model on this graph: :class:`LinearSEM`.

        Parameters
        ----------
        coefficients : mapping, optional
            Edge to coefficient, keyed by ``(parent, child)`` or
            ``"parent -> child"``; edges left out have coefficient 1.
        noise_sd : float or mapping, default 1.0
            Every node's noise standard deviation, or node to one.

        Returns
        -------
        LinearSEM

        Examples
        --------
        >>> sem = DAG("T -> Y").linear_sem(coefficients={"T -> Y": 2.0})
        >>> sem.total_effect("T", "Y")
        2.0
        """
        return LinearSEM(self, coefficients=coefficients, noise_sd=noise_sd)

    def draw(self, ax=None, pos=None, **options):
        """Draw the graph: :func:`causal_lib.plotting.draw_dag`.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure if omitted.
        pos : mapping, optional
            Node to ``(x, y)``; a layered layout if omitted.
        **options
            Passed to :func:`~causal_lib.plotting.draw_dag` (``labels``,
            ``node_colors``, ``edge_colors``, ``latent``...).

        Returns
        -------
        matplotlib Axes
        """
        from causal_lib.plotting import draw_dag  # matplotlib on demand

        return draw_dag(self, ax, pos, **options)


class LinearSEM:
    r"""A linear structural equation model on a causal graph.

    The coefficients and noise levels are given once; the model then
    draws data (:meth:`simulate`), and gives the true total effects
    (:meth:`total_effect`) and the covariance matrix of its variables
    (:meth:`implied_covariance`), all computed from the coefficients.

    Parameters
    ----------
    dag : DAG
        The graph; :meth:`DAG.linear_sem` builds the model from it.
    coefficients : mapping, optional
        Edge to coefficient. Keys are ``(parent, child)`` pairs or
        strings ``"parent -> child"``; edges left out have coefficient 1.
    noise_sd : float or mapping, default 1.0
        Standard deviation of every node's noise, or a mapping from node
        to standard deviation (nodes left out get 1).

    Raises
    ------
    ValueError
        If a key is not an edge or a node, or a number is not finite (or
        a standard deviation is negative).
    TypeError
        If ``dag`` is not a :class:`DAG` or a value is not a number.

    Notes
    -----
    Each node follows

    .. math::

        V_j = \sum_{i \in \mathrm{pa}(j)} \beta_{ij} V_i
        + \sigma_j \varepsilon_j, \qquad
        \varepsilon_j \sim N(0, 1) \text{ independent}.

    The model cannot be changed after it is built; the coefficients and
    noise levels are read-only mappings.

    See :ref:`ch-dag`.

    Examples
    --------
    >>> sem = LinearSEM(DAG("X -> T -> Y; X -> Y"),
    ...                 coefficients={"T -> Y": 0.5, "X -> Y": 2.0})
    >>> sem.coefficients[("X", "T")], sem.noise_sd["Y"]
    (1.0, 1.0)
    """

    __slots__ = ("_dag", "_beta", "_sd")

    def __init__(self, dag: DAG, *, coefficients=None, noise_sd=1.0):
        if not isinstance(dag, DAG):
            raise TypeError(
                f"dag must be a DAG, got {type(dag).__name__}; build one "
                "with DAG('X -> T; X -> Y; T -> Y')"
            )
        set_ = object.__setattr__
        set_(self, "_dag", dag)
        set_(self, "_beta", _coefficients(dag, coefficients))
        set_(self, "_sd", _noise_sd(dag, noise_sd))

    def __setattr__(self, name, value):
        raise AttributeError("a LinearSEM cannot be changed; build a new one")

    def __delattr__(self, name):
        raise AttributeError("a LinearSEM cannot be changed; build a new one")

    def __repr__(self) -> str:
        beta = {f"{p} -> {c}": b for (p, c), b in self._beta.items()}
        return (f"LinearSEM({self._dag!r}, coefficients={beta!r}, "
                f"noise_sd={dict(self._sd)!r})")

    @property
    def dag(self) -> DAG:
        """The graph."""
        return self._dag

    @property
    def coefficients(self) -> Mapping:
        """``(parent, child)`` to coefficient, for every edge."""
        return MappingProxyType(self._beta)

    @property
    def noise_sd(self) -> Mapping:
        """Node to the standard deviation of its noise, for every node."""
        return MappingProxyType(self._sd)

    def simulate(self, n: int, *, rng, do=None) -> pd.DataFrame:
        r"""Draw ``n`` units from the model.

        Parameters
        ----------
        n : int
            Number of rows (units).
        rng : int or numpy.random.Generator
            Source of randomness: a seed or a Generator. Required, and
            ``None`` is refused, as by every simulator: the draw must be
            reproducible.
        do : mapping, optional
            Node to value: these nodes are set to the value for every unit
            instead of following their equation (an intervention).

        Returns
        -------
        pandas.DataFrame
            One column per node, in :attr:`DAG.nodes` order.

        Raises
        ------
        ValueError
            If ``n`` is below 1 or above 10**9, or a ``do`` key is not a
            node or its value not finite.
        TypeError
            If ``n`` is not an integer, ``rng`` neither a seed nor a
            Generator (``None`` included), or a ``do`` value not a number.

        Notes
        -----
        All the noise is drawn first, in one block, so two calls with
        identically seeded generators share their noise whatever ``do``
        says: the difference between two interventions is then the exact
        effect for every unit.

        Examples
        --------
        >>> sem = DAG("T -> Y").linear_sem(coefficients={"T -> Y": 2.0})
        >>> df = sem.simulate(3, rng=0, do={"T": 1.0})
        >>> list(df.columns), df["T"].tolist()
        (['T', 'Y'], [1.0, 1.0, 1.0])
        """
        n = check_count(n, "n", limit=MAX_ROWS)
        rng = check_rng(rng, allow_none=False)
        fixed = _interventions(self._dag, do)
        dag, beta, sd = self._dag, self._beta, self._sd
        noise = rng.standard_normal((n, len(dag.nodes)))
        values = {}
        for node in dag.topological_order:
            if node in fixed:
                values[node] = np.full(n, fixed[node])
                continue
            column = sd[node] * noise[:, dag._index[node]]
            for parent in dag._graph.pred[node]:
                column = column + beta[(parent, node)] * values[parent]
            values[node] = column
        return pd.DataFrame({node: values[node] for node in dag.nodes})

    def total_effect(self, treatment, outcome) -> float:
        r"""The true total effect of ``treatment`` on ``outcome``.

        Raising the treatment by one unit by intervention changes the
        outcome's mean by this much.

        Parameters
        ----------
        treatment, outcome : node
            Two different nodes.

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
        >>> sem = dag.linear_sem(coefficients={
        ...     "exposure -> visit": 0.5, "visit -> purchase": 0.4,
        ...     "exposure -> purchase": 0.1})
        >>> round(sem.total_effect("exposure", "purchase"), 12)
        0.3
        """
        dag, beta = self._dag, self._beta
        t, y = dag._pair(treatment, outcome)
        # effect[v] sums, over directed paths t -> ... -> v, the products
        # of coefficients; a topological order sees every parent first.
        effect = dict.fromkeys(dag.nodes, 0.0)
        effect[t] = 1.0
        for node in dag.topological_order:
            if node != t:
                effect[node] = sum(beta[(p, node)] * effect[p]
                                   for p in dag._graph.pred[node])
        return float(effect[y])

    def implied_covariance(self) -> pd.DataFrame:
        r"""The covariance matrix of the model's variables.

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
        >>> cov = DAG("X -> Y").linear_sem(
        ...     coefficients={"X -> Y": 2.0}).implied_covariance()
        >>> cov.loc["Y", "Y"], cov.loc["X", "Y"]
        (np.float64(5.0), np.float64(2.0))
        """
        nodes, index = self._dag.nodes, self._dag._index
        k = len(nodes)
        b = np.zeros((k, k))
        for (parent, child), value in self._beta.items():
            b[index[parent], index[child]] = value
        inverse = np.linalg.inv(np.eye(k) - b)
        variances = np.diag([self._sd[v] ** 2 for v in nodes])
        cov = inverse.T @ variances @ inverse
        return pd.DataFrame(cov, index=list(nodes), columns=list(nodes))


# --- checks of the linear model's inputs ------------------------------------

def _coefficients(dag: DAG, coefficients) -> dict:
    """Edge to coefficient for every edge (1 where not given)."""
    beta = dict.fromkeys(dag.edges, 1.0)
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
        beta[edge] = check_finite(value, f"coefficient of {key!r}")
    return beta


def _noise_sd(dag: DAG, noise_sd) -> dict:
    """Node to noise standard deviation for every node (1 where not
    given in a mapping)."""
    if isinstance(noise_sd, Mapping):
        sd = dict.fromkeys(dag.nodes, 1.0)
        for node, value in noise_sd.items():
            sd[dag._node(node, "noise_sd")] = value
    else:
        sd = dict.fromkeys(dag.nodes, noise_sd)
    for node, value in sd.items():
        sd[node] = check_finite(value, f"noise_sd of {node!r}")
        if sd[node] < 0:
            raise ValueError(
                f"noise_sd of {node!r} is negative ({value!r}); give a "
                "standard deviation of 0 or more"
            )
    return sd


def _interventions(dag: DAG, do) -> dict:
    """Node to the value an intervention sets it to."""
    return {
        dag._node(node, "do"): check_finite(value, f"do value of {node!r}")
        for node, value in dict(do or {}).items()
    }


# --- helpers (module-private) ------------------------------------------------

def _nodes_and_edges(edges) -> tuple[list, list]:
    """The nodes and ``(parent, child)`` pairs of any accepted input."""
    if isinstance(edges, str):
        return _parse(edges)
    if isinstance(edges, (_Graph, nx.DiGraph)):
        return list(edges.nodes), list(edges.edges)
    return [], _edge_pairs(edges)


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


def _cut(graph: nx.DiGraph, out_of) -> nx.DiGraph:
    """A copy of ``graph`` without the arrows out of ``out_of``."""
    cut = nx.DiGraph(graph)
    cut.remove_edges_from(list(graph.out_edges(out_of)))
    return cut


def _eliminate(moral: nx.Graph, forbidden) -> dict:
    """Remove ``forbidden`` vertices, joining the vertices around each
    connected group of them, so a separator can never need them.

    Returns the new graph as a mapping from vertex to its neighbours.
    """
    result = {
        v: set(moral[v]) - forbidden for v in moral if v not in forbidden
    }
    for group in nx.connected_components(moral.subgraph(forbidden)):
        border = set().union(*(moral[v] for v in group)) - forbidden
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
