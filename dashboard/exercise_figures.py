"""Plotly figures of the exercises: one exercise's timeline (every move on its lane, in
minutes from what the scorecard counts from, with the 30-minute target), and progress
across exercises. Pure functions of `dashboard.exercise_data` results."""

from __future__ import annotations

from datetime import datetime

import plotly.graph_objects as go

from dashboard.figures import AMBER, BLUE, FONT, GREEN, GREY, INK, PURPLE, RED, empty_figure
from dashboard.i18n import N_, _

# Lanes from top to bottom, with their colour.
LANES = (("inject", N_("Injects"), PURPLE), ("alert", N_("Alerts"), RED),
         ("ack", N_("Acknowledged"), AMBER), ("declared", N_("Declared"), INK),
         ("phase", N_("Phase"), BLUE), ("facts", N_("Facts"), GREY),
         ("sent:customers", N_("Customers told"), GREEN), ("sent:team", N_("Team told"), GREEN),
         ("sent:ceo", N_("CEO told"), GREEN), ("sent:board", N_("Board told"), GREEN),
         ("other", N_("Other"), GREY))
PROGRESS = (("time_to_ack_s", N_("To acknowledge"), AMBER),
            ("time_to_declare_s", N_("To declare"), INK),
            ("time_to_first_public_statement_s", N_("To first public statement"), GREEN))


def timeline_figure(events: list[dict], origin: datetime, target_s: float) -> go.Figure:
    """Each event a marker on its lane at its minute from `origin` (hover: what it was),
    and a dashed line at the first statement's target."""
    if not events:
        return empty_figure(_("Nothing happened in this exercise yet"))
    fig = go.Figure()
    used = {e["lane"] for e in events}
    lanes = [(key, _(label), colour) for key, label, colour in LANES if key in used]
    for key, label, colour in lanes:
        mine = [e for e in events if e["lane"] == key]
        fig.add_trace(go.Scatter(
            x=[(e["at"] - origin).total_seconds() / 60 for e in mine], y=[label] * len(mine),
            mode="markers", name=label, marker={"size": 11, "color": colour,
                                                "line": {"width": 1, "color": "white"}},
            text=[e["text"][:160] for e in mine],
            hovertemplate="%{x:.1f} min · %{text}<extra></extra>"))
    fig.add_vline(x=target_s / 60, line_dash="dash", line_color=RED,
                  annotation_text=_("target: first public statement"),
                  annotation_position="top", annotation_font_color=RED)
    fig.update_layout(
        height=90 + 42 * len(lanes), showlegend=False, plot_bgcolor="white",
        paper_bgcolor="white", font=FONT, margin={"l": 10, "r": 20, "t": 40, "b": 40},
        xaxis={"title": _("Minutes from the first alert (or the start)"), "zeroline": True,
               "gridcolor": "#e2e8f0"},
        yaxis={"categoryorder": "array",
               "categoryarray": [label for _key, label, _c in reversed(lanes)],
               "gridcolor": "#f1f5f9"})
    return fig


def progress_figure(exercises: list[dict]) -> go.Figure:
    """Minutes to acknowledge, declare and first public statement, one point per finished
    exercise (oldest first): lower is better."""
    scored = [e for e in exercises if e.get("scorecard")]
    if not scored:
        return empty_figure(_("No finished exercise yet"))
    fig = go.Figure()
    x = [f"#{e['id']} {e['started_at']:%d %b}" for e in scored]
    for key, label, colour in PROGRESS:
        y = [None if e["scorecard"].get(key) is None else e["scorecard"][key] / 60
             for e in scored]
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines+markers", name=_(label),
                                 line={"color": colour, "width": 2}, connectgaps=False))
    fig.add_hline(y=30, line_dash="dash", line_color=RED,
                  annotation_text=_("30 min target"), annotation_position="top left")
    fig.update_layout(height=320, plot_bgcolor="white", paper_bgcolor="white", font=FONT,
                      margin={"l": 10, "r": 20, "t": 20, "b": 40},
                      yaxis={"title": _("minutes"), "rangemode": "tozero",
                             "gridcolor": "#e2e8f0"},
                      xaxis={"type": "category"},
                      legend={"orientation": "h", "y": -0.25})
    return fig
