"""The overview's activity figure is written as plain dicts and wrapped without plotly's
validation (``dashboard.figures.activity_figure``, for speed): plotly's validated figure,
rebuilt from the same dicts, must serialise exactly the same, so a misspelt property or
a wrong value cannot reach the browser unnoticed."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from dashboard import figures

NOW = datetime(2026, 11, 30, 15, 0)


def frame(high: int) -> pd.DataFrame:
    index = pd.date_range(NOW - timedelta(hours=3), NOW, freq="min", inclusive="left",
                          name="minute")
    rng = np.random.default_rng(3)
    df = pd.DataFrame({c: rng.integers(0, high, len(index))
                       for c in ("negative", "neutral", "positive", "rumours", "tickets")},
                      index=index)
    df["total"] = df[["negative", "neutral", "positive"]].sum(axis=1)
    df["negative_share"] = df["negative"] / df["total"].where(df["total"] > 0)
    return df


@pytest.mark.parametrize("high", [2, 300])  # small counts get whole-number axes
def test_the_unvalidated_figure_is_what_plotly_validates(high):
    alerts = [{"opened_at": NOW - timedelta(minutes=m), "severity": s}
              for m, s in ((170, "major"), (50, "critical"), (20, "warning"))]
    fig = figures.activity_figure(frame(high), alerts, NOW, ZoneInfo("Europe/Paris"))
    validated = go.Figure(fig.to_plotly_json())  # raises on any invalid property
    assert json.loads(pio.to_json(fig)) == json.loads(pio.to_json(validated))
    assert [t.yaxis for t in fig.data] == ["y", "y", "y", "y2", "y3", "y4"]
    assert len(fig.layout.shapes) == 3 and len(fig.layout.annotations) == 4 + 3
    assert (fig.layout.yaxis.dtick == 1) == (high == 2)
