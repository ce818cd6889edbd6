"""Plotly figures from `dashboard.data` results: pure functions, no queries, no clock.
Labels are in the current user's language (`dashboard.i18n`); times are drawn in `zone`
(the user's by default), named on the time axis."""

from __future__ import annotations

import functools
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import i18n
from dashboard.i18n import _

RED, GREY, GREEN = "#dc2626", "#9ca3af", "#16a34a"
AMBER, BLUE, PURPLE, INK = "#d97706", "#2563eb", "#7c3aed", "#0f172a"
SEVERITY_COLOURS = {"warning": AMBER, "major": "#ea580c", "critical": RED}
FONT = {"family": 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', "size": 13,
            "color": INK}


def empty_figure(message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, x=0.5, y=0.5, xref="paper", yref="paper",
                       showarrow=False, font={"size": 16, "color": "#475569"})
    fig.update_layout(xaxis_visible=False, yaxis_visible=False, plot_bgcolor="white",
                      paper_bgcolor="white", height=420, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      font=FONT)
    return fig


def local_index(index: pd.Index, zone: ZoneInfo) -> pd.DatetimeIndex:
    """A naive-UTC time index as naive wall-clock times in `zone`, for plotting."""
    return pd.DatetimeIndex(index).tz_localize("UTC").tz_convert(zone).tz_localize(None)


def time_axis_title(now: datetime | None, zone: ZoneInfo) -> str:
    """The time axis says its zone: "Time (CET)"."""
    return _("Time ({zone})").format(zone=i18n.zone_abbreviation(now or datetime(2000, 1, 1),
                                                                 zone))


def activity_figure(df: pd.DataFrame, alerts: list[dict], now: datetime | None = None,
                    zone: ZoneInfo | None = None) -> go.Figure:
    """Four stacked panels sharing the time axis: mentions by sentiment, negative share,
    rumours, support tickets; a dashed line at every alert's opening. Times in `zone`.

    Written as plain dicts and wrapped without plotly's validation: building it through
    ``make_subplots``, ``add_trace`` and ``update_*`` cost ~40 ms of CPU per refresh (the
    largest part of an overview refresh), this ~2 ms; a test holds the dicts valid (the
    validated figure serialises the same)."""
    if df.empty:
        return empty_figure(_("No data in the last hours"))
    zone = zone or i18n.current_zone()
    layout = _panels((_("Mentions per minute, by sentiment"),
                      _("Negative share (5-min rolling)"),
                      _("Rumour mentions per minute"), _("Support tickets per minute")))
    x = local_index(df.index, zone)
    xs = x.to_numpy()  # numpy arrays: plotly sends numbers as typed arrays (base64)

    def bar(column, name, colour, what, panel, **extra):
        return {"type": "bar", "x": xs, "y": df[column].to_numpy(), "name": name,
                "marker": {"color": colour, "line": {"width": 0}},
                "hovertemplate": "%{x|%H:%M} %{y} " + what + "<extra></extra>",
                "xaxis": f"x{panel}" if panel > 1 else "x",
                "yaxis": f"y{panel}" if panel > 1 else "y", **extra}

    data = [bar(label, _(label.capitalize()), colour, _(label), 1)
            for label, colour in (("negative", RED), ("neutral", GREY), ("positive", GREEN))]
    data.append({"type": "scatter", "x": xs, "y": df["negative_share"].to_numpy(),
                 "name": _("Negative share"), "mode": "lines",
                 "line": {"color": RED, "width": 2.5}, "connectgaps": False,
                 "hovertemplate": "%{x|%H:%M} %{y:.0%} " + _("negative") + "<extra></extra>",
                 "showlegend": False, "xaxis": "x2", "yaxis": "y2"})
    data.append(bar("rumours", _("Rumours"), PURPLE, _("rumour mentions"), 3,
                    showlegend=False))
    data.append(bar("tickets", _("Tickets"), BLUE, _("tickets"), 4, showlegend=False))
    first, last = x[0], (i18n.naive_local(now, zone) if now else x[-1])
    span = max((last - first).total_seconds(), 60.0)
    for ann in layout["annotations"]:  # the four panel titles
        ann.update(x=0, xanchor="left", font={"size": 13, "color": "#334155"})
    in_title_row, inside = [], 0
    for alert in alerts:
        colour = SEVERITY_COLOURS.get(alert["severity"], AMBER)
        at = i18n.naive_local(alert["opened_at"], zone)
        layout["shapes"].append({"type": "line", "x0": at, "x1": at, "y0": 0, "y1": 1,
                                 "xref": "x", "yref": "paper",
                                 "line": {"color": colour, "width": 2, "dash": "dash"}})
        # The label goes on the top panel's title row, left of its line, where that row is
        # free (right of the panel's title, clear of the other labels); otherwise inside
        # the panel, right of the line, stepped down: never over a title, the legend, the
        # crisis's first bars (just left of the line) or another label.
        where = (at - first).total_seconds() / span
        if where > 0.4 and all(abs(where - other) > 0.12 for other in in_title_row):
            in_title_row.append(where)
            place = {"y": 1.0, "yanchor": "bottom", "xanchor": "right", "xshift": -4}
        else:
            place = {"y": 1.0 - 0.13 * (inside % 4), "yanchor": "top", "xanchor": "left",
                     "xshift": 4}
            inside += 1
        layout["annotations"].append({
            "x": at, "xref": "x", "yref": "y domain", "showarrow": False, **place,
            "text": _("⚠ alert {time}").format(time=f"{at:%H:%M}"),
            "font": {"color": colour, "size": 12}, "bgcolor": "white"})
    layout.update(
        barmode="stack", bargap=0.05, height=560, font=FONT, plot_bgcolor="white",
        paper_bgcolor="white", hovermode="x unified", uirevision="activity",
        margin={"l": 50, "r": 20, "t": 40, "b": 48},  # room for the zone on the time axis
        legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.06, "yanchor": "bottom",
                "traceorder": "normal"},
    )
    for panel in range(1, 5):
        layout[_axis("yaxis", panel)].update(gridcolor="#e5e7eb", zeroline=False,
                                             rangemode="tozero")
        # Two minutes of room after the latest minute: "now" is not flush with the frame.
        layout[_axis("xaxis", panel)].update(
            showgrid=False, tickformat="%H:%M",
            range=[first - timedelta(seconds=30), last + timedelta(minutes=2)])
    layout["yaxis2"].update(tickformat=".0%", range=[0, 1])
    for panel, column in ((1, "total"), (3, "rumours"), (4, "tickets")):
        if df[column].max() < 4:  # small counts: whole numbers only, never "0.5 tickets"
            layout[_axis("yaxis", panel)].update(range=[0, 4], dtick=1)
    layout["xaxis4"]["title"] = {"text": time_axis_title(now, zone), "font": {"size": 12}}
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def _axis(kind: str, panel: int) -> str:
    return kind if panel == 1 else f"{kind}{panel}"


@functools.lru_cache(maxsize=16)
def _panel_layout(titles: tuple[str, ...]) -> str:
    # The four panels' axes and domains and their titles as plotly's make_subplots lays
    # them out (its arithmetic, not ours), once per language: it costs ~13 ms.
    fig = make_subplots(rows=4, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        row_heights=[0.44, 0.2, 0.16, 0.2], subplot_titles=titles)
    layout = fig.to_plotly_json()["layout"]
    layout.pop("template", None)  # plotly applies its default template to every figure
    return json.dumps(layout)


def _panels(titles: tuple[str, ...]) -> dict:
    """A fresh copy of the four panels' layout (axes, domains, titles; no shapes yet)."""
    layout = json.loads(_panel_layout(titles))
    layout.setdefault("shapes", [])
    return layout
