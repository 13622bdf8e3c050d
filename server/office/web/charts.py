"""Small server-rendered SVG charts of the KPIs over days (no script, no build chain).

:func:`kpi_charts` turns the ``kpi_days`` table into one :class:`Chart` per
group key (and currency): shipments delivered per day and the first-attempt
rate, each point a ``<circle>`` whose ``<title>`` says its day and value; the
numbers are the ``kpi_days`` table, one click away and in its CSV.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from markupsafe import Markup, escape

from ..views import Table
from .formatting import name_of, ratio_text

WIDTH, HEIGHT, PAD = 240, 48, 4


@dataclass(frozen=True, slots=True)
class Chart:
    """One group key's charts and the link to the numbers behind them."""

    key: str
    name: str
    currency: str
    delivered: Markup
    first_attempt: Markup
    numbers: str  # the kpi_days table of this key


def sparkline(
    label: str, points: list[tuple[str, float | None]], text: list[str], top: float = 0
) -> Markup:
    """An SVG line over ``points`` (day, value; None leaves a gap), ``text`` per point;
    the chart's top is ``top`` (a rate's 1.0) or the largest value."""
    values = [v for _, v in points if v is not None]
    top = top or max(values, default=0) or 1
    step = (WIDTH - 2 * PAD) / max(len(points) - 1, 1)

    def xy(i: int, value: float) -> tuple[float, float]:
        return PAD + i * step, HEIGHT - PAD - (HEIGHT - 2 * PAD) * value / top

    marks, path = [], []
    for i, ((day, value), words) in enumerate(zip(points, text, strict=True)):
        if value is None:
            marks.append(f'<g class="point empty"><title>{escape(day)}: no data</title></g>')
            continue
        x, y = xy(i, value)
        path.append(f"{x:.1f},{y:.1f}")
        marks.append(
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="2" data-day="{escape(day)}" '
            f'data-value="{value}"><title>{escape(day)}: {escape(words)}</title></circle>'
        )
    line = f'<polyline points="{" ".join(path)}" fill="none" />' if len(path) > 1 else ""
    return Markup(
        f'<svg class="spark" role="img" aria-label="{escape(label)}" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">{line}{"".join(marks)}</svg>'
    )


def kpi_charts(days: Table) -> list[Chart]:
    """One chart per key of a ``kpi_days`` table (rows sorted by key, then day)."""
    at = {c.name: i for i, c in enumerate(days.columns)}
    series: dict[tuple[str, str], list[list[object]]] = {}
    for row in days.rows:
        series.setdefault((str(row[at["key"]]), str(row[at["currency"]])), []).append(list(row))
    ref = days.columns[at["key"]].ref
    charts = []
    for (key, currency), rows in series.items():
        day = [str(r[at["day"]]) for r in rows]
        delivered = [float(r[at["delivered"]]) for r in rows]  # type: ignore[arg-type]
        rates = [r[at["first_attempt_rate"]] for r in rows]
        query = {k: v for k, v in days.filters.items() if k in ("group", "from", "to", "period")}
        label = name_of(days, ref, key) if ref else key
        charts.append(
            Chart(
                key,
                label,
                currency,
                sparkline(
                    f"Delivered per day, {label}",
                    list(zip(day, delivered, strict=True)),
                    [f"{int(v)} delivered" for v in delivered],
                ),
                sparkline(
                    f"First-attempt rate per day, {label}",
                    [
                        (d, float(r) if isinstance(r, int | float) else None)
                        for d, r in zip(day, rates, strict=True)
                    ],
                    [ratio_text(float(r)) if isinstance(r, int | float) else "-" for r in rates],
                    top=1.0,
                ),
                "/office/tables/kpi_days?" + urlencode(query | {"key": key}),
            )
        )
    return charts
