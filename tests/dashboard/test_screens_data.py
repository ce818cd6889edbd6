"""The pieces behind the screens of issue 20 that need no browser: links to original posts,
rumour scores as words, one "normal" negative share, the overview chart's window, the
Rumours chart before any claim, and the incident's cause-aware "what we do not know yet"."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta

import pytest

from dashboard import components as ui
from dashboard.alert_titles import alert_title, with_normal_share
from dashboard.app import create_app
from dashboard.context import DashboardContext
from dashboard.post_links import post_url, safe_url
from responders.drafts import Brand
from responders.templates import TemplateLibrary
from store import Store

NOW = datetime(2026, 3, 10, 10, 15)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The page modules as the app loaded them (Dash imports them under its own names)."""
    store = Store("sqlite:///" + str(tmp_path_factory.mktemp("screens") / "s.db"))
    store.upgrade()
    create_app(DashboardContext(store=store, clock=lambda: NOW, library=TemplateLibrary(),
                                brand=Brand(), secret_key="screens-data"))

    def page(name: str):
        return next(m for n, m in sys.modules.items() if n.endswith(f"pages.{name}"))
    yield page
    store.engine.dispose()


@pytest.mark.parametrize(("source", "external_id", "url", "expected"), [
    ("x", "1234567890", None, "https://x.com/i/status/1234567890"),
    ("x", "1", "https://x.com/nimbushq/status/1", "https://x.com/nimbushq/status/1"),
    ("reddit", "t3_abc123", None, "https://www.reddit.com/comments/abc123"),
    ("reddit", "t1_abc123", None, None),  # a comment: its thread is not known
    ("bluesky", "at://did:plc:abc123/app.bsky.feed.post/3kxyz", None,
     "https://bsky.app/profile/did:plc:abc123/post/3kxyz"),
    ("mastodon", "110123", None, None),  # ids are per instance
    ("mastodon", "https://mastodon.social/@a/110123", None, "https://mastodon.social/@a/110123"),
    ("rss", "9f2c", "https://news.example/item?id=9", "https://news.example/item?id=9"),
    ("x", "drill-outage-7-20260310-3", None, None),  # the drill's made-up posts
    ("x", "1", "javascript:alert(1)", "https://x.com/i/status/1"),  # hostile URL ignored
    ("webhook", "a", "javascript:alert(1)", None),
    ("webhook", "a", "https://ok.example/a b", None),  # blanks: not a URL we trust
    ("webhook", "a", "ftp://files.example/a", None),
])
def test_post_links(source, external_id, url, expected):
    assert post_url(source, external_id, url) == expected


def test_safe_url_keeps_escapes_and_encodes_the_rest():
    assert safe_url("https://example.org/a%20b") == "https://example.org/a%20b"
    assert safe_url("https://example.org/café") == "https://example.org/caf%C3%A9"
    assert safe_url("https:///no-host") is None


@pytest.mark.parametrize(("score", "band"), [
    (None, None), (0.0, "unlikely"), (0.3, "unlikely"), (0.44, "unlikely"),
    (0.45, "possible"), (0.49, "possible"), (0.5, "likely"), (0.94, "likely")])
def test_rumour_scores_as_words(score, band):
    assert ui.rumour_band(score) == band


def test_rumour_hover_gives_the_number_and_the_bands():
    assert ui.rumour_hover(0.943) == ("rumour score 0.94 (likely from 0.50, possible from "
                                      "0.45)")


def test_the_alert_states_the_overview_normal_share():
    evidence = {"signals": [
        {"kind": "negative_share", "observed": 0.87, "expected": 0.02, "surprise": 9.0},
        {"kind": "mentions", "observed": 120, "expected": 12, "surprise": 8.0}]}
    assert alert_title(["negative_share"], evidence, "stored") == "87% negative (normally 2%)"
    assert alert_title(["negative_share"], evidence, "stored", 0.0407) == \
        "87% negative (normally 4%)"
    assert with_normal_share(evidence, None) is evidence
    changed = with_normal_share(evidence, 0.04)["signals"]
    assert [s["expected"] for s in changed] == [0.04, 12]  # counts keep their own normal
    assert evidence["signals"][0]["expected"] == 0.02  # the stored evidence is untouched


def test_open_alerts_state_one_normal(tmp_path):
    """Alert and KPI: the same negative-share normal in the title and the signal line."""
    from dashboard import data
    from tests.support.browser import drilled

    store, _pipeline, now = drilled(tmp_path, before=timedelta(hours=3),
                                    after=timedelta(minutes=15))
    with store.session() as s:
        k = data.kpis(s, now)
        alerts = data.open_alerts(s, normal_share=k["negative_share_normal"])
    share = next(sig for a in alerts for sig in a["signals"] if sig["kind"] == "negative_share")
    assert share["expected"] == k["negative_share_normal"]
    assert f"(normally {k['negative_share_normal']:.0%})" in alerts[0]["title"]
    assert k["crisis_start"] is not None and k["crisis_start"] <= now
    store.engine.dispose()


def test_the_crisis_gets_the_room_on_the_chart(pages):
    """Calm: the last three hours. Under way: 40 minutes before the start, at least an hour,
    at most three hours; 20 minutes in, the crisis spans about a third of the chart."""
    overview = pages("overview")
    assert overview.chart_start(None, NOW) == NOW - timedelta(hours=3)
    start = overview.chart_start(NOW - timedelta(minutes=20), NOW)
    assert start == NOW - timedelta(minutes=60)
    assert overview.chart_start(NOW - timedelta(minutes=50), NOW) == NOW - timedelta(minutes=90)
    assert overview.chart_start(NOW - timedelta(hours=5), NOW) == NOW - timedelta(hours=3)
    span = NOW + timedelta(minutes=2) - start  # the chart runs two minutes past now
    assert timedelta(minutes=20) / span > 0.3


def test_rumours_chart_before_any_claim(pages):
    rumours = pages("rumours")
    assert rumours.chosen_claim(None, []) is None
    assert rumours.chosen_claim(None, [{"id": 7}, {"id": 3}]) == 7  # the loudest
    assert rumours.chosen_claim(3, [{"id": 7}, {"id": 3}]) == 3  # the reader's choice
    assert rumours.chosen_claim(5, [{"id": 7}]) == 7  # a claim that went away
    _figure, style, statement, mentions = rumours.show_claim(None, 0, None)
    assert style == {"display": "none"}  # a sentence, not an empty grey grid
    assert statement.children.startswith("No rumour yet.") and mentions is None


@pytest.mark.parametrize(("cause", "filled"), [
    ("A faulty configuration change.  ", True), ("Un changement défectueux.   ", True),
    ("", False), ("   ", False), (".  ", False), (None, False)])
def test_a_cause_counts_when_it_has_words(pages, cause, filled):
    assert pages("incident").has_text(cause) is filled


@pytest.mark.parametrize(("lang", "cause", "unknown", "warned"), [
    ("en", "A faulty configuration change.  ", "the cause and how long the repair will take",
     True),
    ("en", "A faulty configuration change.  ", "how long the repair will take", False),
    ("en", "", "the cause and how long the repair will take", False),
    ("en", ".  ", "the cause", False),
    ("fr", "Un changement de configuration défectueux.   ",
     "la cause et la durée de la réparation", True),
    ("fr", "Un changement de configuration défectueux.", "l'origine exacte", True),
    ("fr", "Un changement de configuration défectueux.", "la durée de la réparation", False),
])
def test_what_is_unknown_follows_the_cause(pages, lang, cause, unknown, warned):
    incident = pages("incident")
    assert (incident.unknown_note(cause, unknown, lang) is not None) is warned
    hint = {"unknown": "the cause and how long the repair will take" if lang == "en"
            else "la cause et la durée de la réparation"}
    placeholder = incident.fact_placeholder("unknown", lang, hint, cause, "default")
    # the playbook's example names the cause: kept only while the cause is not filled in
    assert ("cause" in placeholder) is (not incident.has_text(cause))
