"""Which stages a run executes, and which of them may run side by side.

DVC decides what is stale, in-process (:func:`from_repo`): a stage whose command, dependencies,
parameters or outputs differ from what ``dvc.lock`` records, exactly as ``dvc repro`` and ``dvc
status`` judge it. A stale stage runs with every stage downstream of it in the DAG that
``dvc.yaml``'s deps and outs make (a stage is downstream of another when it depends on one of its
outputs); ``--force`` runs them all. The rest are skipped, as DVC would skip them.

The plan itself (:func:`make`) is a pure function of the DAG and the stale stages, so that what
runs for a given set of changes can be tested without running anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Plan:
    """``order``: every stage, dependencies first; ``upstream``: each stage's direct upstream stages;
    ``run``: the stages to execute, in ``order``; ``stale``: those DVC found changed (the others in
    ``run`` are downstream of them)."""

    order: tuple[str, ...]
    upstream: Mapping[str, frozenset[str]]
    run: tuple[str, ...]
    stale: frozenset[str] = field(default_factory=frozenset)

    @property
    def skipped(self) -> list[str]:
        return [s for s in self.order if s not in self.run]

    def waits_for(self, stage: str) -> frozenset[str]:
        """The planned stages that must finish before ``stage`` may start."""
        return self.upstream[stage] & frozenset(self.run)

    def width(self) -> int:
        """How many planned stages can run at once, at least: the most at one depth of the DAG
        (stages at one depth never depend on each other)."""
        depth: dict[str, int] = {}
        for stage in self.run:
            depth[stage] = 1 + max((depth[u] for u in self.waits_for(stage)), default=0)
        levels: dict[int, int] = {}
        for d in depth.values():
            levels[d] = levels.get(d, 0) + 1
        return max(levels.values(), default=0)


def downstream(upstream: Mapping[str, Iterable[str]], stages: Iterable[str]) -> set[str]:
    """``stages`` and every stage that depends on one of them, directly or through others."""
    dependents: dict[str, set[str]] = {s: set() for s in upstream}
    for stage, ups in upstream.items():
        for up in ups:
            dependents.setdefault(up, set()).add(stage)
    return _reachable(dependents, stages)


def _reachable(edges: Mapping[str, Iterable[str]], stages: Iterable[str]) -> set[str]:
    """``stages`` and every stage reached from them along ``edges``, directly or through others."""
    found, todo = set(), list(stages)
    while todo:
        stage = todo.pop()
        if stage not in found:
            found.add(stage)
            todo.extend(edges.get(stage, ()))
    return found


def topological(order: Iterable[str], upstream: Mapping[str, Iterable[str]]) -> tuple[str, ...]:
    """``order`` rearranged only as far as needed to put every stage after its upstream stages."""
    placed: list[str] = []
    seen: set[str] = set()

    def place(stage: str, path: tuple[str, ...] = ()) -> None:
        if stage in seen:
            return
        if stage in path:
            raise ValueError(f"the stages form a cycle: {' -> '.join((*path, stage))}")
        for up in sorted(upstream.get(stage, ()), key=list(order).index):
            place(up, (*path, stage))
        seen.add(stage)
        placed.append(stage)

    for stage in order:
        place(stage)
    return tuple(placed)


def upstream_of(upstream: Mapping[str, Iterable[str]], stages: Iterable[str]) -> set[str]:
    """``stages`` and every stage they depend on, directly or through others."""
    return _reachable(upstream, stages)


def make(order: Iterable[str], upstream: Mapping[str, Iterable[str]], stale: Iterable[str],
         force: bool = False, targets: Iterable[str] | None = None) -> Plan:
    """The plan for a DAG (``upstream``: stage -> the stages it depends on) given the stale stages;
    with ``targets``, only those stages and what they depend on (as ``dvc repro TARGET...``)."""
    ups = {s: frozenset(upstream.get(s, ())) for s in order}
    ordered = topological(list(ups), ups)
    wanted = set(ordered) if targets is None else upstream_of(ups, targets)
    stale = frozenset(s for s in (ordered if force else stale) if s in wanted)
    chosen = downstream(ups, stale) & wanted
    return Plan(ordered, ups, tuple(s for s in ordered if s in chosen), stale)


def from_repo(repo, force: bool = False, targets: Iterable[str] | None = None) -> Plan:
    """The plan for the DVC project ``repo`` (a ``dvc.repo.Repo``; hold its lock meanwhile).

    Only stages not already downstream of a stale one are checked: they run anyway, and checking
    means hashing their dependencies. Frozen stages are cut from what they depend on, as DVC does.
    """
    from dvc.repo.reproduce import get_active_graph

    graph = get_active_graph(repo.index.graph)
    by_name = {_name(stage): stage for stage in graph}
    upstream = {name: frozenset(_name(dep) for dep in graph.successors(stage)) for name, stage in by_name.items()}
    order = topological([_name(s) for s in repo.index.stages if _name(s) in by_name], upstream)
    wanted = set(order) if targets is None else upstream_of(upstream, targets)
    stale: set[str] = set()
    for name in order:
        if (not force and name in wanted and not upstream[name] & downstream(upstream, stale)
                and by_name[name].changed()):
            stale.add(name)
    return make(order, upstream, stale, force, targets)


def stages_by_name(repo) -> dict:
    """``repo``'s DVC stages by name, for recording each one in ``dvc.lock`` as it finishes."""
    return {_name(stage): stage for stage in repo.index.stages}


def _name(stage) -> str:
    return getattr(stage, "name", None) or stage.addressing
