r"""``m2m hedge``: the plan that is best across disruption outcomes, and what hedging is worth.

The instance's ``uncertainty:`` block names the outcomes (each a list of scenarios applied on top
of the instance, with a probability), the period in which the outcome is known (``reveal``) and
what the plan minimises (``risk``).  Three kinds of solve:

* **the hedged plan**: the extensive form (:mod:`optimizer.solving.extensive`), every outcome at
  once, its decisions before ``reveal`` shared;
* **perfect foresight** (wait-and-see): each outcome solved alone, as if it were known from the
  start; the probability-weighted cost is :math:`WS`;
* **the reference plan**: the plan made for the ``reference`` outcome alone; its shared decisions
  held, each outcome is re-solved (:math:`EEV_o`; an outcome it cannot serve has none).

From these (:math:`E` = the hedged plan's expected cost):
:math:`\mathrm{EVPI} = E - WS` (what knowing the outcome in advance would be worth) and
:math:`\mathrm{VSS} = \sum_o p_o EEV_o - E` (what planning for the outcomes, rather than for the
reference outcome, saves in expectation; negative under ``cvar`` when the hedged plan pays, in
expectation, for a thinner tail).  The perfect-foresight and reference solves are independent and
run through :mod:`optimizer.solving.parallel`.

The folder (``summary.json`` with ``"run": "hedge"``, every plan table with an ``outcome``
column first, ``outcomes.csv``) is documented in ``docs/results.md``.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd
import pyomo.core as pyo  # the modelling layer only: pyomo.environ would also load every solver plugin
from rich.console import Console
from rich.table import Table

from ..core.atomic import staged_folder
from ..core.contract import BINDING_TOL, HEDGE_TABLES, PLAN_TABLES, RESULTS_FORMAT, SOLVED, SUMMARY, Status
from ..core.errors import InputError, finding
from ..core.risk import cvar, expected, risk_objective, worst
from ..input.instance import Instance
from ..input.load import load_outcomes, yaml_label
from ..input.schema import Uncertainty
from ..model.build import Built, build_model
from ..model.stages import Key, first_stage, key_of
from ..pipeline import instance_summary, run, stamp, summarize
from ..results.console import print_whole
from ..results.outputs import default_out, guard_folder
from ..results.run import Run, stack_outcomes
from ..results.write import keep_previous, write_json
from ..solving.extensive import Member, changes_before_reveal, solve_extensive
from ..solving.extract import Results, extract
from ..solving.parallel import pinned, solve_all
from ..solving.solver import MatrixModel, SolveOptions, solve

OUTCOMES_CSV = HEDGE_TABLES["outcomes"].file


# ============================================================================================
# the independent solves (run in workers)
# ============================================================================================


@dataclass(frozen=True)
class AloneTask:
    """One outcome solved on its own: data only (its instance, and the shared decisions to hold,
    by key, if any), never a built model."""

    outcome: str
    inst: Instance
    reveal: int
    opts: SolveOptions
    #: the shared decisions to hold (absent: 0); None: plan freely (perfect foresight)
    held: dict[Key, float] | None = None
    #: give back the plan's shared decisions (for the reference plan)
    keep_shared: bool = False


@dataclass
class AloneResult:
    outcome: str
    status: str
    objective: float | None
    shared: dict[Key, float] | None = None


def holding(held: dict[Key, float], inst: Instance, reveal: int) -> Callable[[Key], float | None]:
    """``fix`` for a solve under another plan's shared decisions: each first-stage variable at its
    value there (0 when that plan has no such variable), every other one free."""
    def fix(k: Key) -> float | None:
        return held.get(k, 0.0) if first_stage(k, inst, reveal) else None
    return fix


def shared_values(built: Built, reveal: int) -> dict[Key, float]:
    """The first-stage decisions of a solved model, by key."""
    inst = built.inst
    return {k: float(v.value or 0.0) for v in built.model.component_data_objects(pyo.Var, descend_into=True)
            if first_stage(k := key_of(v), inst, reveal)}


def solve_alone(task: AloneTask) -> AloneResult:
    """Solve one outcome alone, holding ``held`` if given (runs in a worker)."""
    inst, reveal = task.inst, task.reveal
    built = build_model(inst)
    sol = solve(built, task.opts, fix=holding(task.held, inst, reveal) if task.held is not None else None)
    shared = shared_values(built, reveal) if task.keep_shared and sol.status.has_solution else None
    return AloneResult(task.outcome, sol.status.value, sol.objective, shared)


def reference_runs(path: str | Path, scenarios: Iterable[str] = (), opts: SolveOptions = SolveOptions(), *,
                   explain_infeasible: bool = False) -> dict[str, Run]:
    """The plan made for the ``reference`` outcome, in every outcome: solved for the reference
    alone, then each other outcome with its first-stage decisions held (in this process).  An
    outcome it cannot serve is not diagnosed unless ``explain_infeasible`` (the diagnosis would
    not hold the decisions)."""
    _base, u, insts = load_outcomes(path, scenarios)
    ref = run(insts[u.reference].folder, insts[u.reference].scenario, opts, instance=insts[u.reference],
              explain_infeasible=explain_infeasible)
    runs = {u.reference: ref}
    held = shared_values(ref.built, u.reveal) if ref.solution.status.has_solution and ref.built is not None else None
    for o in u.outcomes:
        if o.name == u.reference:
            continue
        inst = insts[o.name]
        r = run(inst.folder, inst.scenario, opts, instance=inst, explain_infeasible=False,
                fix=holding(held, inst, u.reveal) if held is not None else None)
        if "duals" in r.tables:  # before reveal every decision is held: those rows' duals price nothing
            d = r.tables["duals"]
            r.tables["duals"] = d[[int(i.rsplit("|", 1)[-1]) >= u.reveal for i in d["index"]]].reset_index(drop=True)
        runs[o.name] = r
    return {o.name: runs[o.name] for o in u.outcomes}


# ============================================================================================
# the hedge
# ============================================================================================


@dataclass
class HedgeRun:
    """What ``m2m hedge`` produced: each outcome's run (its plan in the hedged solution), the
    outcomes table and the summary."""

    instance: Instance
    uncertainty: Uncertainty
    runs: dict[str, Run]
    outcomes: pd.DataFrame
    summary: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    #: where it is to be written (checked by :func:`optimizer.results.outputs.guard_folder`)
    folder: Path | None = None

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every plan table, the outcomes' rows one after another, with ``outcome`` first."""
        return stack_outcomes(self.runs)


def run_hedge(path: str | Path, scenarios: Iterable[str] = (), opts: SolveOptions = SolveOptions(), *,
              out: str | Path | None = None, workers: int | None = 1, scheduler: str | None = None) -> HedgeRun:
    """Solve the hedged plan, the perfect-foresight plans and the reference plan (those on
    ``workers`` local processes or a Dask ``scheduler``).  The folder it is to be written to
    (``out``, default ``results/<instance>[-<scenario>]-hedge``) is refused before anything is
    solved if it may not be written; :func:`write_hedge` writes it."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    base, u, insts = load_outcomes(path, scenarios)
    target = guard_folder(Path(out) if out is not None else default_out("hedge", base.name, base.scenario), "hedge",
                          protect=[base.folder])
    timings["load"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    members: list[Member] = []
    for o in u.outcomes:
        built = build_model(insts[o.name], freeze=True)
        members.append(Member(o.name, o.probability, built, MatrixModel(built)))
    reference = next(m for m in members if m.name == u.reference)
    yaml_file = yaml_label(base)
    # an outcome that tracks provenance where the reference does not (or the reverse) has other tags in every period
    tags = {m.name for m in members if m.built.inst.tracks_provenance != reference.built.inst.tracks_provenance}
    changed = changes_before_reveal(reference, [m for m in members if m is not reference and m.name not in tags],
                                    u.reveal)
    problems = []
    for mem in members:  # in the order of the outcomes
        if mem.name in tags:
            which, other = (mem.name, u.reference) if mem.built.inst.tracks_provenance else (u.reference, mem.name)
            problems.append(finding(yaml_file, base.outcome_lines.get(mem.name, 1), "scenarios",
                                    f"outcome {mem.name!r}: provenance is tracked in {which!r} and not in {other!r}, which "
                                    "changes every period's material tags, before reveal too; expected every outcome to "
                                    "track provenance or none (give the instance the clean requirement, see docs/model.md)"))
        elif mem.name in changed:
            problems.append(finding(yaml_file, base.outcome_lines.get(mem.name, 1), "scenarios",
                                    f"outcome {mem.name!r} changes the model before reveal {u.reveal} (against "
                                    f"{u.reference!r}): {'; '.join(changed[mem.name])}; expected its scenarios to "
                                    f"change only periods from {u.reveal} on"))
    if problems:
        gc.unfreeze()
        raise InputError(problems)
    timings["build"] = time.perf_counter() - t0

    try:
        t0 = time.perf_counter()
        hedged = solve_extensive(members, u.reveal, u.risk, opts)
        timings["solve"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        runs: dict[str, Run] = {}
        for mem in members:
            sol = hedged.outcomes[mem.name]
            results = extract(mem.built, sol)
            summary = summarize(mem.built.inst, sol, results.tables, None, {}, opts)
            for whole_run in ("timings", "stamp", "format", "instance"):  # the hedge's own, at the top of its summary
                summary.pop(whole_run, None)
            runs[mem.name] = Run(mem.built.inst, sol, Results(results.tables, summary), None)
        timings["extract"] = time.perf_counter() - t0
    finally:
        gc.unfreeze()

    # perfect foresight, then the reference plan held in every outcome
    t0 = time.perf_counter()
    solo = pinned(SolveOptions(time_limit=opts.time_limit, mip_gap=opts.mip_gap, threads=opts.threads,
                               algorithm=opts.algorithm, duals=False))
    names = [o.name for o in u.outcomes]
    probs = [o.probability for o in u.outcomes]
    alone = solve_all(solve_alone, [AloneTask(n, insts[n], u.reveal, solo, keep_shared=n == u.reference)
                                    for n in names], workers=workers, scheduler=scheduler)
    ws = {r.outcome: r for r in alone}
    ref = ws[u.reference]
    eev: dict[str, AloneResult] = {u.reference: ref}
    if ref.shared is not None:
        others = [n for n in names if n != u.reference]
        for r in solve_all(solve_alone, [AloneTask(n, insts[n], u.reveal, solo, held=ref.shared) for n in others],
                           workers=workers, scheduler=scheduler):
            eev[r.outcome] = r
    timings["foresight_and_reference"] = time.perf_counter() - t0

    status = hedged.whole.status
    table = outcomes_table(u, runs, ws, eev)
    summary: dict[str, Any] = {
        "format": RESULTS_FORMAT,
        "run": "hedge",
        "instance": instance_summary(base),
        "uncertainty": u.model_dump(),
        "status": status.value,
        "termination": hedged.whole.termination,
        "objective": hedged.whole.objective,
        "objective_unit": "USD (discounted to the first period; the risk measure over the outcomes)",
        "mip_gap": hedged.whole.mip_gap,
        "duals": hedged.whole.dual_source,
        "risk": risk_summary(u, names, probs, runs, ws, eev, hedged.eta) if status.has_solution else {},
        "outcomes": {n: r.summary for n, r in runs.items()},
        "foresight": {n: {"status": ws[n].status, "objective": ws[n].objective} for n in names},
        "size": hedged.whole.size,
        "algorithm": hedged.whole.algorithm,
        "timings": {**{k: round(v, 4) for k, v in timings.items()},
                    **{f"solver_{k}": round(v, 4) for k, v in hedged.whole.timings.items()}},
        "warnings": [str(w) for w in base.warnings],
        "stamp": stamp(base, opts),
    }
    return HedgeRun(base, u, runs, table, summary, timings, target)


def measures(costs: list[float], probs: list[float], risk: Any) -> dict[str, Any]:
    """A plan's risk figures over the outcomes: ``objective``, ``expected_cost``, ``cvar`` (None
    without an ``alpha``)."""
    return {"objective": risk_objective(costs, probs, risk), "expected_cost": expected(costs, probs),
            "cvar": cvar(costs, probs, float(risk.alpha)) if risk.alpha is not None else None}


def risk_summary(u: Uncertainty, names: list[str], probs: list[float], runs: dict[str, Run],
                 ws: dict[str, AloneResult], eev: dict[str, AloneResult], eta: float | None) -> dict[str, Any]:
    """summary.json's ``risk``: the objective, expected cost, CVaR, worst outcome, EVPI and VSS."""
    costs = [float(runs[n].solution.objective) for n in names]  # type: ignore[arg-type]
    r = u.risk
    hedged = measures(costs, probs, r)
    out: dict[str, Any] = {
        "measure": r.measure, "alpha": r.alpha, "weight": r.weight, **hedged,
        "value_at_risk": eta,
        "worst_outcome": worst(names, costs),
        "worst_cost": max(costs),
    }
    solved = all(ws[n].status in SOLVED and ws[n].objective is not None for n in names)
    wait_and_see = expected([float(ws[n].objective) for n in names], probs) if solved else None  # type: ignore[arg-type]
    out["wait_and_see"] = wait_and_see
    out["evpi"] = hedged["expected_cost"] - wait_and_see if wait_and_see is not None else None
    served = [n for n in names if eev.get(n) is not None and eev[n].status in SOLVED and eev[n].objective is not None]
    unserved = [n for n in names if n not in served]
    ref_costs = [float(eev[n].objective) for n in served]  # type: ignore[arg-type]
    plan: dict[str, Any] = {"outcome": u.reference, "unserved": unserved,
                            "statuses": {n: (eev[n].status if n in eev else "not solved") for n in names}}
    if not unserved:
        plan.update(measures(ref_costs, probs, r))
        out["vss"] = plan["expected_cost"] - hedged["expected_cost"]
    else:
        out["vss"] = None
    out["reference_plan"] = plan
    return out


def outcomes_table(u: Uncertainty, runs: dict[str, Run], ws: dict[str, AloneResult],
                   eev: dict[str, AloneResult]) -> pd.DataFrame:
    """outcomes.csv: one row per outcome (see docs/results.md)."""
    rows = []
    for o in u.outcomes:
        run = runs[o.name]
        has = run.solution.status.has_solution
        shares = run.tables.get("shares") if has else None
        pol = shares[shares["policy"] != ""] if shares is not None else None
        peak = pol.groupby("policy")["share"].max() if pol is not None and len(pol) else pd.Series(dtype=float)
        binding = sorted(set(pol.loc[pol["binding"], "policy"])) if pol is not None and len(pol) else []
        offt = run.tables.get("offtakes") if has else None
        if offt is not None and len(offt):  # an offtake binds where it takes no more than it must
            tight = offt["delivered"] - offt["required"] <= BINDING_TOL * offt["required"].abs().clip(lower=1.0)
            binding = sorted(set(binding) | set(offt.loc[tight, "policy"]))
        e = eev.get(o.name)
        rows.append({
            "outcome": o.name, "probability": o.probability, "scenarios": ";".join(o.scenarios),
            "status": run.solution.status.value,
            "cost": run.solution.objective,
            "unmet_t": run.unmet_t() if has else None,
            "max_shares": ";".join(f"{k}={v:.4f}" for k, v in peak.items()),
            "binding": ";".join(binding),
            "foresight_cost": ws[o.name].objective if ws[o.name].status in SOLVED else None,
            "reference_plan_cost": e.objective if e is not None and e.status in SOLVED else None,
            "reference_plan_status": e.status if e is not None else "not solved",
        })
    return pd.DataFrame(rows, columns=HEDGE_TABLES["outcomes"].names)


def write_hedge(h: HedgeRun, out: str | Path | None = None) -> Path:
    """Write the hedge folder to ``out`` (default: ``h.folder``), replacing it whole; only over a
    hedge folder m2m wrote."""
    target = guard_folder(out if out is not None else h.folder, "hedge", protect=[h.instance.folder])
    t0 = time.perf_counter()
    written = {SUMMARY, OUTCOMES_CSV, *(f"{name}.csv" for name in PLAN_TABLES)}
    with staged_folder(target) as tmp:
        if Status(h.summary["status"]).has_solution:
            for name, df in h.tables.items():
                df.to_csv(tmp / f"{name}.csv", index=False)
            h.outcomes.to_csv(tmp / OUTCOMES_CSV, index=False)
        timings = {**h.summary.get("timings", {}), "write": round(time.perf_counter() - t0, 4)}
        write_json(tmp / SUMMARY, {**h.summary, "timings": timings})
        keep_previous(target, tmp, written)  # what a hedge does not write (a report, a note) is kept
    return target


def print_hedge(h: HedgeRun, console: Console) -> None:
    """The outcomes and the risk figures."""
    s = h.summary
    console.print(f"{h.instance.name}: hedge over {len(h.runs)} outcomes, revealed in {h.uncertainty.reveal}: "
                  f"{s['status']}", markup=False, highlight=False)
    if not Status(s["status"]).has_solution:
        alone = {n: f["status"] for n, f in (s.get("foresight") or {}).items()}
        failed = [n for n, st in alone.items() if st not in SOLVED]
        for n in failed:
            scen = ",".join([*h.instance.scenario, *h.uncertainty.outcome(n).scenarios])
            console.print(f"outcome {n}: no plan even when planned for alone ({alone[n]}); "
                          f"m2m solve {h.instance.folder}{' -s ' + scen if scen else ''} says why", markup=False,
                          highlight=False)
        if alone and not failed:
            console.print(f"every outcome has a plan when planned for alone, but no plan serves them all with the same "
                          f"decisions before {h.uncertainty.reveal}", markup=False, highlight=False)
        return
    tab = Table(title="outcomes (USD, discounted)")
    for c in ("outcome", "probability", "hedged plan", "perfect foresight", "reference plan", "unmet, t"):
        tab.add_column(c, justify="left" if c == "outcome" else "right")
    for r in h.outcomes.itertuples(index=False):
        ref = f"{r.reference_plan_cost:,.0f}" if pd.notna(r.reference_plan_cost) else r.reference_plan_status
        tab.add_row(r.outcome, f"{r.probability:g}", f"{r.cost:,.0f}",
                    "" if pd.isna(r.foresight_cost) else f"{r.foresight_cost:,.0f}", ref, f"{r.unmet_t:,.0f}")
    print_whole(console, tab)
    k = s["risk"]

    def usd(v: float | None) -> str:
        return "-" if v is None else f"{v + 0.0 if abs(v) >= 0.5 else 0.0:,.0f} USD"

    measure = "expected cost" if k["measure"] == "expected" else \
        f"(1 - {k['weight']:g}) x expected cost + {k['weight']:g} x CVaR at {k['alpha']:g}"
    lines = [f"objective ({measure}): {usd(k['objective'])}",
             f"expected cost: {usd(k['expected_cost'])}"]
    if k["cvar"] is not None:
        lines.append(f"CVaR at {k['alpha']:g}: {usd(k['cvar'])}")
    lines.append(f"worst outcome: {k['worst_outcome']} ({usd(k['worst_cost'])})")
    lines.append(f"EVPI (expected cost - perfect foresight {usd(k['wait_and_see'])}): {usd(k['evpi'])}")
    plan = k["reference_plan"]
    if plan["unserved"]:
        lines.append(f"VSS: none; the plan made for {plan['outcome']!r} cannot serve {', '.join(plan['unserved'])}")
    else:
        lines.append(f"VSS (plan made for {plan['outcome']!r}, expected {usd(plan['expected_cost'])}): {usd(k['vss'])}")
    for line in lines:
        console.print(line, markup=False, highlight=False)
    console.print(f"results: {h.folder}", markup=False, highlight=False)
