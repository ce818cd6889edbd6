"""The shell's EXERCISE banner: on every page while a team exercise runs, so nobody
mistakes it for the real thing (and everyone knows nothing leaves the machine)."""

from __future__ import annotations

from dash import dcc, html

from dashboard import components as ui
from dashboard import exercise_data
from dashboard.i18n import _


def exercise_banner(ctx):
    """The banner for the running exercise, or None."""
    with ctx.store.session() as session:
        info = exercise_data.banner(session)
    if info is None:
        return None
    return html.Div([
        html.Strong(_("EXERCISE"), className="exercise-word"),
        html.Span(_("“{name}” is being played (speed ×{speed}, since {time}). Nothing leaves "
                    "the machine: every message goes to the exercise log.").format(
            name=info["name"], speed=info["speed"], time=ui.zoned(info["started_at"]))),
        dcc.Link(_("Exercise page"), href="/exercises", className="exercise-link"),
    ], className="exercise-banner", role="status", id="shell-exercise-banner")
