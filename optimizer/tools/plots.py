"""Frontier plots: total cost against a swept parameter, as a PNG (matplotlib) and a
self-contained HTML page (plotly).

The functions take a plain table of points, one row per solve, and know nothing about how it
was made, so any table with a status column and numeric columns can be drawn:

* ``status``: a point has a plan when it is ``optimal`` or ``feasible``; every other point
  (``infeasible``, ``no_solution``, ...) is drawn as a red dotted vertical line at its x value
  on the first panel, labelled with its status;
* one panel per ``(column, label)`` in ``panels``: the y column against that x column, over the
  points with a plan and a value in both columns (a panel with no such point is left out);
* the knee, if given (a row label of the table), is ringed and labelled on every panel.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Hashable, Sequence

import pandas as pd

from ..core.contract import SOLVED

INFEASIBLE_COLOR = "#c0392b"
LINE_COLOR = "#1f5f8b"
KNEE_COLOR = "#e67e22"


@dataclass(frozen=True)
class FrontierSpec:
    """What to draw: the y column, the x column of each panel, labels and the knee."""

    panels: Sequence[tuple[str, str]]
    y: str = "objective"
    y_label: str = "total cost (USD, discounted)"
    title: str = ""
    knee: Hashable | None = None
    hover: Sequence[str] = field(default_factory=tuple)  # extra columns shown on hover (HTML)
    note: str | None = None  # column whose non-empty text marks a point (drawn apart and written beside it)


SHED_COLOR = "#b35806"


def _noted(pts: pd.DataFrame, spec: FrontierSpec) -> pd.DataFrame:
    """The points of a panel that carry a note (e.g. a cap held partly by leaving demand unmet)."""
    if spec.note is None or spec.note not in pts:
        return pts.iloc[0:0]
    return pts[pts[spec.note].fillna("").astype(str) != ""]


def _has_plan(points: pd.DataFrame) -> pd.Series:
    return points["status"].isin(SOLVED)


def _panel_points(points: pd.DataFrame, spec: FrontierSpec, x: str) -> pd.DataFrame:
    if x not in points or spec.y not in points:
        return points.iloc[0:0]
    ok = _has_plan(points) & points[x].notna() & points[spec.y].notna()
    return points[ok].sort_values(x)


def _panels(points: pd.DataFrame, spec: FrontierSpec) -> list[tuple[str, str, pd.DataFrame]]:
    """Panels with something to draw; the first is always kept (it carries the infeasible points)."""
    out = []
    for i, (x, label) in enumerate(spec.panels):
        pts = _panel_points(points, spec, x)
        if i == 0 or not pts.empty:
            out.append((x, label, pts))
    return out


def _no_plan(points: pd.DataFrame, x: str) -> pd.DataFrame:
    if x not in points:
        return points.iloc[0:0]
    return points[~_has_plan(points) & points[x].notna()]


def _text(row: pd.Series, spec: FrontierSpec) -> str:
    """What a point without a plan says: its note if it has one, else its status."""
    note = str(row.get(spec.note, "") or "") if spec.note else ""
    return note if note and note != "nan" else str(row["status"])


def _num(v: Any) -> float | None:
    """A JSON-friendly number (None for NaN), so that the HTML carries readable values."""
    if v is None:
        return None
    f = float(v)
    return None if math.isnan(f) else f


def _money_scale(largest: float) -> tuple[float, str]:
    """Tick labels in thousands of millions (bn) or millions (m) for large amounts."""
    if largest >= 1e9:
        return 1e9, " bn"
    if largest >= 1e6:
        return 1e6, " m"
    return 1.0, ""


def frontier_png(points: pd.DataFrame, path: str | Path, spec: FrontierSpec) -> Path:
    """Draw the frontier with matplotlib (Agg backend, no display needed); return the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    path = Path(path)
    panels = _panels(points, spec)
    fig, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 4.6), squeeze=False)
    ys = points[spec.y][_has_plan(points)].abs() if spec.y in points else pd.Series(dtype=float)
    scale, suffix = _money_scale(float(ys.max()) if not ys.empty and ys.notna().any() else 0.0)
    money = FuncFormatter(lambda v, _pos: f"{v / scale:,.3f}{suffix}" if scale > 1 else f"{v:,.0f}")
    for ax, (x, label, pts) in zip(axes[0], panels):
        if not pts.empty:
            ax.plot(pts[x], pts[spec.y], "-o", color=LINE_COLOR, lw=1.8, ms=5, label="plan found")
        if spec.knee is not None and spec.knee in pts.index:
            k = pts.loc[spec.knee]
            ax.plot([k[x]], [k[spec.y]], "o", ms=14, mfc="none", mec=KNEE_COLOR, mew=2.2, label="knee")
            ax.annotate("knee", (k[x], k[spec.y]), textcoords="offset points", xytext=(10, 10), color=KNEE_COLOR)
        noted = _noted(pts, spec)
        if not noted.empty:
            ax.plot(noted[x], noted[spec.y], "s", ms=9, mfc="none", mec=SHED_COLOR, mew=2,
                    label="demand left unmet (see note)")
            for _, row in noted.iterrows():
                # below and to the left of the point: off a falling frontier and clear of the knee's label
                ax.annotate(textwrap.fill(str(row[spec.note]), 22), (row[x], row[spec.y]), textcoords="offset points",
                            xytext=(-8, -8), ha="right", va="top", fontsize=7, color=SHED_COLOR)
            ax.margins(x=0.18)  # room for the leftmost label inside the axes
        if ax is axes[0][0]:
            bad = _no_plan(points, x)
            why = ", ".join(sorted(set(bad["status"].astype(str))))
            for j, (_, row) in enumerate(bad.iterrows()):
                ax.axvline(row[x], color=INFEASIBLE_COLOR, ls=":", lw=1.6,
                           label=f"no plan ({why})" if j == 0 else None)
                ax.plot([row[x]], [0.03], "x", color=INFEASIBLE_COLOR, ms=9, mew=2, transform=ax.get_xaxis_transform())
        ax.set_xlabel(label)
        ax.set_ylabel(spec.y_label)
        ax.yaxis.set_major_formatter(money)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best", fontsize=8)
    if spec.title:
        fig.suptitle(spec.title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def frontier_html(points: pd.DataFrame, path: str | Path, spec: FrontierSpec) -> Path:
    """Write the frontier as one self-contained HTML file (plotly.js inlined; opens offline)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    path = Path(path)
    panels = _panels(points, spec)
    fig = make_subplots(rows=1, cols=len(panels), horizontal_spacing=0.1)
    hover_cols = [c for c in spec.hover if c in points]
    for col, (x, label, pts) in enumerate(panels, start=1):
        text = ["<br>".join([f"status: {r['status']}"] + [f"{c}: {r[c]}" for c in hover_cols]) for _, r in pts.iterrows()]
        # Plain lists, not numpy arrays: the page then carries the numbers as readable JSON.
        fig.add_trace(go.Scatter(
            x=[_num(v) for v in pts[x]], y=[_num(v) for v in pts[spec.y]], mode="lines+markers", name="plan found",
            line={"color": LINE_COLOR}, text=text, legendgroup="plan", showlegend=col == 1,
            hovertemplate=f"{label}: %{{x}}<br>{spec.y_label}: %{{y:,.0f}}<br>%{{text}}<extra></extra>",
        ), row=1, col=col)
        if spec.knee is not None and spec.knee in pts.index:
            k = pts.loc[spec.knee]
            fig.add_trace(go.Scatter(
                x=[_num(k[x])], y=[_num(k[spec.y])], mode="markers+text", name="knee", text=["knee"],
                textposition="top right", legendgroup="knee", showlegend=col == 1,
                marker={"size": 16, "color": "rgba(0,0,0,0)", "line": {"color": KNEE_COLOR, "width": 3}},
                textfont={"color": KNEE_COLOR},
            ), row=1, col=col)
        noted = _noted(pts, spec)
        if not noted.empty:
            fig.add_trace(go.Scatter(
                x=[_num(v) for v in noted[x]], y=[_num(v) for v in noted[spec.y]], mode="markers",
                name="demand left unmet", text=[str(v) for v in noted[spec.note]], legendgroup="noted",
                showlegend=col == 1, hovertemplate="%{text}<extra></extra>",
                marker={"symbol": "square-open", "size": 13, "color": SHED_COLOR, "line": {"width": 2}},
            ), row=1, col=col)
        fig.update_xaxes(title_text=label, row=1, col=col)
        fig.update_yaxes(title_text=spec.y_label, row=1, col=col)
    first_x = panels[0][0]
    bad = _no_plan(points, first_x)
    for _, row in bad.iterrows():
        fig.add_vline(x=_num(row[first_x]), line={"color": INFEASIBLE_COLOR, "dash": "dot", "width": 2}, row=1, col=1)
    lines = [f"no plan at {_num(row[first_x]):g}: " + _text(row, spec) for _, row in bad.iterrows()]
    lines += [f"{_num(row[first_x]):g}: {row[spec.note]}" for _, row in _noted(panels[0][2], spec).iterrows()]
    colours = [INFEASIBLE_COLOR] * len(bad) + [SHED_COLOR] * (len(lines) - len(bad))
    for i, (line, colour) in enumerate(zip(lines, colours)):
        fig.add_annotation(text=line, xref="paper", yref="paper", x=0, y=-0.2 - 0.05 * i, showarrow=False,
                           font={"color": colour}, xanchor="left", yanchor="top")
    fig.update_layout(title=spec.title, template="plotly_white", height=520 + 26 * len(lines),
                      width=620 * len(panels) + 80, margin={"b": 110 + 26 * len(lines)})
    fig.write_html(str(path), include_plotlyjs=True, full_html=True)
    return path
