r"""``storage_level``: a store's stock carries from period to period, by provenance tag (t).

Row (facility, product, tag, period) for every store of ``storage.csv``, t:

.. math:: L[f,p,g,t] - L[f,p,g,t^-] - n_t \left(I[f,p,g,t] - O[f,p,g,t]\right) = L^0_{fpg}\,[t = t_0]

with :math:`L` the stock at the end of period t (t), :math:`I` and :math:`O` what enters and
leaves the store in each year of the period (t/yr; only in years the facility operates),
:math:`t^-` the period before, :math:`n_t` the years period t stands for and :math:`L^0` the
initial stock, of its one tag.  Stock keeps the tag it came with: clean stays clean.  The store
sits on the facility's balance of the product where the product arrives (a product it uses) or
where it is made: :math:`O - I` enters that ``product_balance`` (or ``input_balance``) row.
The holding cost is charged on the level at the end of each year (``holding`` cost term).  The
dual is the value of one more tonne added to the store in period t from outside the plan
(discounted USD/t).

``storage_capacity`` (facility, product, period): :math:`\sum_g L[f,p,g,t] \le \bar L_{fp}`, t;
since the stock moves linearly within a period, holding at the ends holds throughout.
"""

from __future__ import annotations

from .base import BuildContext, CheckContext, DualSpec, LPRow, NetworkFamily, Terms


def previous(periods: list[int]) -> dict[int, int | None]:
    """period -> the period before it (None for the first)."""
    return {t: (periods[i - 1] if i else None) for i, t in enumerate(periods)}


def initial(inst, f: str, p: str, g: str) -> float:
    """Initial stock of tag g in the store (f, p), t."""
    st = inst.storage[f, p]
    return st.initial if inst.initial_tag(st) == g else 0.0


def build(ctx: BuildContext) -> None:
    inst = ctx.inst
    before = previous(inst.periods)
    rows: dict[tuple, tuple[float, Terms, float]] = {}
    for (f, p, g, t), level in ctx.stock.items():
        terms: Terms = [(1.0, level)]
        prev = before[t]
        if prev is not None:
            terms.append((-1.0, ctx.stock[f, p, g, prev]))
        n = inst.years(t)
        if (f, p, g, t) in ctx.store_in:
            terms += [(-n, ctx.store_in[f, p, g, t]), (n, ctx.store_out[f, p, g, t])]
        rhs = initial(inst, f, p, g) if prev is None else 0.0
        rows[f, p, g, t] = (rhs, terms, rhs)
    if rows:
        ctx.add_rows("storage_level", rows)


def build_capacity(ctx: BuildContext) -> None:
    inst = ctx.inst
    keys = [(f, p, t) for (f, p), st in inst.storage.items() if st.capacity is not None for t in inst.periods]
    slack = ctx.slack("storage_capacity", keys, "store overfilled")
    rows = {}
    for f, p, t in keys:
        terms: Terms = [(1.0, ctx.stock[f, p, g, t]) for g in inst.store_tags]
        if (f, p, t) in slack:
            terms.append((-1.0, slack[f, p, t]))
        rows[f, p, t] = (None, terms, inst.storage[f, p].capacity)
    if rows:
        ctx.add_rows("storage_capacity", rows)


def check(ctx: CheckContext) -> None:
    r"""Every store's stock carries, tag by tag (t):

    .. math:: L_t = L_{t^-} + n_t (I_t - O_t), \qquad L, I, O \ge 0

    read from inventory.csv, with :math:`L_{t^-}` the initial stock in the first period."""
    inst, plan = ctx.inst, ctx.plan
    before = previous(inst.periods)
    for (f, p) in inst.storage:
        for t in inst.periods:
            for g in inst.store_tags:
                label = f"{f} {p} {t} ({g})"
                level, put, took = plan.inventory.get((f, p, g, t), (0.0, 0.0, 0.0))
                ctx.count("storage_level")
                for name, value in (("level", level), ("in", put), ("out", took)):
                    ctx.nonnegative("storage_level", label, name, value)
                if (put or took) and t not in ctx.active[f]:
                    ctx.fail("storage_level", label, f"in {put:g} / out {took:g} in a year {f} does not operate")
                prev = before[t]
                start = initial(inst, f, p, g) if prev is None else plan.inventory.get((f, p, g, prev), (0.0,))[0]
                ctx.eq("storage_level", label, "level", level, "previous level + years x (in - out)",
                       start + inst.years(t) * (put - took), start, put, took)


def lp_rows(lp) -> list[LPRow]:
    r"""storage_level (f,p,g,t): :math:`L_t - L_{t^-} - n_t (I_t - O_t) = L^0 [t = t_0]`, t."""
    inst = lp.inst
    before = previous(inst.periods)
    out = []
    for (f, p) in inst.storage:
        for g in inst.store_tags:
            for t in inst.periods:
                terms = {("L", f, p, g, t): 1.0}
                prev = before[t]
                if prev is not None:
                    terms[("L", f, p, g, prev)] = -1.0
                if t in lp.active[f]:
                    terms[("I", f, p, g, t)] = -float(inst.years(t))
                    terms[("O", f, p, g, t)] = float(inst.years(t))
                out.append(LPRow("storage_level", (f, p, g, t), "=", initial(inst, f, p, g) if prev is None else 0.0, terms))
    return out


def capacity_lp_rows(lp) -> list[LPRow]:
    r"""storage_capacity (f,p,t): :math:`\sum_g L[f,p,g,t] \le \bar L_{fp}`, t."""
    inst = lp.inst
    return [LPRow("storage_capacity", (f, p, t), "<=", st.capacity, {("L", f, p, g, t): 1.0 for g in inst.store_tags})
            for (f, p), st in inst.storage.items() if st.capacity is not None for t in inst.periods]


def explain(_inst, k: tuple, amount: float) -> tuple[str, str]:
    f, p, t = k
    return "t", f"store of {p} at {f} {t}: {amount:,.6g} t more than it can hold"


def check_capacity(ctx: CheckContext) -> None:
    r"""Every store with a capacity holds no more than it: :math:`\sum_g L[f,p,g,t] \le \bar L_{fp}` (t)."""
    inst, plan = ctx.inst, ctx.plan
    for (f, p), st in inst.storage.items():
        if st.capacity is None:
            continue
        for t in inst.periods:
            ctx.count("storage_capacity")
            held = sum(plan.inventory.get((f, p, g, t), (0.0,))[0] for g in inst.store_tags)
            ctx.le("storage_capacity", f"{f} {p} {t}", "stock", held, "capacity", st.capacity)


FAMILY = NetworkFamily(
    name="storage_level",
    doc="Per store (storage.csv), provenance tag and period: stock at the end of the period = stock at the end of "
        "the one before (the initial stock in the first) + the period's years x (in - out) (t). Dual: the value of "
        "one more tonne added to the store in the period from outside the plan (discounted USD/t).",
    build=build,
    dual=DualSpec.discounted(
        "USD/t",
        lambda k, _b: f"value of one more t of {k[1]} ({k[2]}) added to the store at {k[0]} in {k[3]} from outside the plan (discounted)",
        -1.0,
        index='facility|product|tag|period',
        row='$=$',
        value='value of one more tonne added to the store in the period from outside the plan (a free tonne of stock), discounted to the first year',
    ),
    slack=None,
    explain=None,
    check=check,
    lp_rows=lp_rows,
)

CAPACITY = NetworkFamily(
    name="storage_capacity",
    doc="Per store with a capacity and period: the stock of all tags <= capacity (t). Dual: the value of one more "
        "tonne of room in the store at the end of the period (discounted USD/t).",
    build=build_capacity,
    dual=DualSpec.discounted(
        "USD/t",
        lambda k, _b: f"value of one more t of room for {k[1]} at {k[0]} at the end of {k[2]} (discounted)",
        -1.0,
        index='facility|product|period',
        row='$\\le$',
        value='value of one more tonne of room in the store (>= 0), discounted to the first year',
    ),
    slack="store overfilled",
    explain=explain,
    check=check_capacity,
    lp_rows=capacity_lp_rows,
)
