"""Plotly figures from `dashboard.data` results: pure functions, no queries, no clock.
Labels are in the current user's language (`dashboard.i18n`); times are drawn in `zone`
(the user's by default), named on the time axis."""

from __future__ import annotations

from datetime import datetime
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
    rumours, support tickets; a dashed line at every alert's opening. Times in `zone`."""
    if df.empty:
        return empty_figure(_("No data in the last hours"))
    zone = zone or i18n.current_zone()
    fig = make_subplots(
        rows=4, cols=1, shared_xaxes=True, vertical_spacing=0.08,
        row_heights=[0.44, 0.2, 0.16, 0.2],
        subplot_titles=(_("Mentions per minute, by sentiment"),
                        _("Negative share (5-min rolling)"),
                        _("Rumour mentions per minute"), _("Support tickets per minute")),
    )
    x = local_index(df.index, zone)
    for label, colour in (("negative", RED), ("neutral", GREY), ("positive", GREEN)):
        fig.add_trace(go.Bar(x=x, y=df[label], name=_(label.capitalize()), marker_color=colour,
                             marker_line_width=0,
                             hovertemplate="%{x|%H:%M} %{y} " + _(label) + "<extra></extra>"),
                      row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=df["negative_share"], name=_("Negative share"),
                             mode="lines", line={"color": RED, "width": 2.5}, connectgaps=False,
                             hovertemplate="%{x|%H:%M} %{y:.0%} " + _("negative")
                             + "<extra></extra>",
                             showlegend=False), row=2, col=1)
    fig.add_trace(go.Bar(x=x, y=df["rumours"], name=_("Rumours"), marker_color=PURPLE,
                         marker_line_width=0, showlegend=False,
                         hovertemplate="%{x|%H:%M} %{y} " + _("rumour mentions")
                         + "<extra></extra>"),
                  row=3, col=1)
    fig.add_trace(go.Bar(x=x, y=df["tickets"], name=_("Tickets"), marker_color=BLUE,
                         marker_line_width=0, showlegend=False,
                         hovertemplate="%{x|%H:%M} %{y} " + _("tickets") + "<extra></extra>"),
                  row=4, col=1)
    for alert in alerts:
        colour = SEVERITY_COLOURS.get(alert["severity"], AMBER)
        at = i18n.naive_local(alert["opened_at"], zone)
        fig.add_shape(type="line", x0=at, x1=at, y0=0, y1=1,
                      xref="x", yref="paper", line={"color": colour, "width": 2, "dash": "dash"})
        fig.add_annotation(x=at, y=1.0, xref="x", yref="paper",
                           yanchor="bottom", showarrow=False,
                           text=_("⚠ alert {time}").format(time=f"{at:%H:%M}"),
                           font={"color": colour, "size": 12}, bgcolor="white")
    fig.update_layout(
        barmode="stack", bargap=0.05, height=560, font=FONT, plot_bgcolor="white",
        paper_bgcolor="white", hovermode="x unified", uirevision="activity",
        margin={"l": 50, "r": 20, "t": 40, "b": 48},  # room for the zone on the time axis
        legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.06, "yanchor": "bottom",
                    "traceorder": "normal"},
    )
    fig.update_yaxes(gridcolor="#e5e7eb", zeroline=False, rangemode="tozero")
    fig.update_yaxes(tickformat=".0%", range=[0, 1], row=2, col=1)
    for row, column in ((1, "total"), (3, "rumours"), (4, "tickets")):
        if df[column].max() < 4:  # small counts: whole numbers only, never "0.5 tickets"
            fig.update_yaxes(range=[0, 4], dtick=1, row=row, col=1)
    fig.update_xaxes(showgrid=False, tickformat="%H:%M")
    fig.update_xaxes(title_text=time_axis_title(now, zone), title_font={"size": 12},
                     row=4, col=1)
    for ann in fig.layout.annotations[:4]:
        ann.update(x=0, xanchor="left", font={"size": 13, "color": "#334155"})
    return fig
