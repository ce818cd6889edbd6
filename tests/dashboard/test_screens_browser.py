"""Screens that need no explanation (issue 20), in headless Chromium, in French and English,
at 1440x900 and 1280x800: one "normal" negative share per screen; the overview's chart
neither stretched into an empty panel nor crowded by its labels, the crisis given room; the
Rumours chart drawn before any click; rumour scores as words with the number on hover and
links to the original posts; the incident's facts in both languages side by side, the
cause-aware "what we do not know yet"; maintenance examples ahead of now in the user's zone.

Screenshots: tests/artifacts/screens-*.png."""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from crisiswatch.playbook import PLAYBOOK
from dashboard import actions, data, i18n
from dashboard import app as shell
from dashboard.auth import add_user
from dashboard.context import DashboardContext
from dashboard.preferences import set_preferences
from responders.drafts import Brand
from responders.templates import TemplateLibrary
from store.models import IncidentRow, MentionRow
from tests.support.browser import ARTIFACTS, chromium, drilled, log_in
from tests.support.browser import require_browser as _require_browser

pytestmark = pytest.mark.browser

VIEWPORTS = ({"width": 1440, "height": 900}, {"width": 1280, "height": 800})
USERS = {"fr": ("camille", "Europe/Paris"), "en": ("sam", "UTC")}
LANGS = ("fr", "en")
# Newest mentions given what collectors store: a URL, a Reddit id with no URL, a hostile URL.
LINKED = {"url": "https://x.com/someone/status/1234567890",
          "built": ("reddit", "t3_abc123", None, "https://www.reddit.com/comments/abc123"),
          "hostile": "javascript:alert(1)"}
# A percentage stated as normal: "normally 4%", "(normal 4%)", "d'habitude 4%",
# "normalement 4 %", "(normale : 4 %)".
NORMAL_SHARE = re.compile(r"(?:normal\w*|d'habitude)\s*:?\s*(\d+)\s?%", re.IGNORECASE)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """35 minutes into a drilled outage (its rumour starts at 15), the incident declared."""
    _require_browser()
    tmp = tmp_path_factory.mktemp("screens")
    store, pipeline, now = drilled(tmp, before=timedelta(hours=3), after=timedelta(minutes=35))
    with store.session() as s:
        for lang, (name, zone) in USERS.items():
            row = add_user(s, name, f"{name}-pw", "approver", now=now)
            s.flush()
            set_preferences(s, row.id, lang, zone, now)
        newest = s.execute(select(MentionRow).order_by(MentionRow.created_at.desc(),
                                                       MentionRow.id.desc()).limit(3)).scalars()
        stored, built, hostile = list(newest)
        stored.url = LINKED["url"]
        built.source, built.external_id, built.url = LINKED["built"][:3]
        hostile.url = LINKED["hostile"]
        ids = {"stored": stored.id, "built": built.id, "hostile": hostile.id}
    book = PLAYBOOK["outage"]
    ctx = DashboardContext(
        store=store, clock=lambda: now, library=TemplateLibrary(), brand=Brand(),
        secret_key="screens-test", refresh_drafts=pipeline.draft, publish=pipeline.publish,
        playbook_facts=lambda: {"title": book["title"], "crisis_type": book["crisis_type"],
                                "severity": book["severity"],
                                "en": {"unknown": "the cause and how long the repair will "
                                                  "take"},
                                "fr": {"unknown": "la cause et la durée de la réparation"}})
    with store.session() as s:
        alert_id = data.open_alerts(s)[0]["id"]
    lead = SimpleNamespace(is_authenticated=True, role="approver", username="sam")
    actions.declare_incident(ctx, lead, alert_id=alert_id, title=book["title"],
                             crisis_type="outage", severity="major",
                             translations={"fr": {"title": "Panne de connexion"}})
    app = shell.create_app(ctx)
    httpd = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield {"url": f"http://127.0.0.1:{httpd.server_port}", "store": store, "now": now,
           "mentions": ids}
    httpd.shutdown()
    store.engine.dispose()


@pytest.fixture(scope="module")
def browser(server):
    with chromium() as launched:
        yield launched


def visit(page, url: str, viewport: dict) -> None:
    page.set_viewport_size(viewport)
    page.goto(url)
    page.locator("#shell-nav .menu").first.wait_for()
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")
    page.wait_for_load_state("networkidle")


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"screens-{name}.png"))


def overlaps(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


@pytest.mark.parametrize("lang", LANGS)
def test_overview_one_normal_a_chart_that_fits_and_labels_apart(server, browser, lang):
    name = USERS[lang][0]
    page = log_in(browser, server["url"], name, f"{name}-pw")
    with server["store"].session() as s:
        normal = data.kpis(s, server["now"])["negative_share_normal"]
    for viewport in VIEWPORTS:
        visit(page, server["url"] + "/", viewport)
        page.locator("#overview-activity .annotation-text").first.wait_for()
        page.locator(".alert .signals").first.wait_for()
        shot(page, f"overview-{lang}-{viewport['width']}")

        # One "normal" negative share: the KPI's, in the alert's title and signal lines too.
        kpi = page.locator("#overview-kpi-negative .kpi-sub").inner_text()
        alert = page.locator(".alert").first
        stated = (NORMAL_SHARE.findall(kpi) + NORMAL_SHARE.findall(
            alert.locator(".alert-title").inner_text())
            + NORMAL_SHARE.findall(alert.locator(".signals").inner_text()))
        assert len(stated) >= 3, (kpi, stated)  # the KPI, the title, the signal line
        assert set(stated) == {f"{normal * 100:.0f}"}, stated
        # What kind of trouble rose, in the reader's language (signals.crisis_mix).
        assert alert.locator(".alert-rising").inner_text() == {
            "en": "rising: outage", "fr": "en hausse : panne"}[lang]

        # The chart keeps its height: no empty panel under it, whatever the side column.
        panel = page.locator(".overview-grid > .chart").bounding_box()
        graph = page.locator("#overview-activity .main-svg").first.bounding_box()
        assert panel["y"] + panel["height"] - (graph["y"] + graph["height"]) < 40

        # No label over another: the alert's tag, the panel titles, the legend.
        boxes = [page.locator(s).nth(i).bounding_box()
                 for s in ("#overview-activity .annotation", "#overview-activity .legend")
                 for i in range(page.locator(s).count())]
        boxes = [b for b in boxes if b and b["width"]]
        assert len(boxes) >= 6  # four panel titles, one alert, the legend
        crowded = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if overlaps(a, b)]
        assert not crowded, crowded
    page.context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_rumours_chart_is_drawn_before_any_click(server, browser, lang):
    name = USERS[lang][0]
    page = log_in(browser, server["url"], name, f"{name}-pw")
    for viewport in VIEWPORTS:
        visit(page, server["url"] + "/rumours", viewport)
        # the loudest claim is chosen for the reader: its bars and its mentions are there
        page.wait_for_function("() => [...document.querySelectorAll('#rumours-volume .bars "
                               "path')].some(bar => bar.getBBox().height > 0)")
        first_claim = page.locator("[id^=rumours-row-]").first.get_attribute("id")
        chosen = page.locator("#rumours-claim").inner_text()
        assert chosen.startswith("#" + first_claim.rsplit("-", 1)[1] + " ·"), chosen
        assert page.locator("#rumours-mentions .quote").count() >= 1
        shot(page, f"rumours-{lang}-{viewport['width']}")
    page.context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_mentions_show_rumour_words_and_link_the_original_posts(server, browser, lang):
    name = USERS[lang][0]
    words = {"fr": {"probable", "possible", "peu probable"},
             "en": {"likely", "possible", "unlikely"}}[lang]
    page = log_in(browser, server["url"], name, f"{name}-pw")
    ids = server["mentions"]
    for viewport in VIEWPORTS:
        visit(page, server["url"] + "/mentions", viewport)
        page.locator(f"#mentions-row-{ids['stored']}").wait_for()
        shot(page, f"mentions-{lang}-{viewport['width']}")
        cells = page.locator("td[data-dash-column=rumour]")
        shown = {cells.nth(i).inner_text().strip() for i in range(cells.count())}
        assert shown and shown <= words, shown  # words, never 0.17 or 0.94
        hover = cells.first.get_attribute("title")
        assert re.search(r"\b[01]\.\d\d\b", hover), hover  # the number, on hover
        assert page.locator("td[data-dash-column=rumour]", has_text=re.compile(
            r"^(probable|likely)$")).count() >= 1  # the drill's rumour is there

        for key, href in (("stored", LINKED["url"]), ("built", LINKED["built"][3])):
            link = page.locator(f"#mentions-row-{ids[key]} td[data-dash-column=post] a")
            assert link.get_attribute("href") == href
            assert link.get_attribute("target") == "_blank"
            assert link.get_attribute("rel") == "noopener noreferrer"
        assert page.locator(f"#mentions-row-{ids['hostile']} a").count() == 0
        assert page.locator("#mentions-table a[href^=javascript]").count() == 0
        # the navigation stays on one row with the wider table
        tops = page.evaluate("() => [...document.querySelector('#shell-nav').children]"
                             ".map(e => Math.round(e.getBoundingClientRect().top))")
        assert max(tops) - min(tops) <= 2
    # fifty to a page, the older ones one click away
    assert page.locator("#mentions-table tbody tr").count() == 50
    page.click("#mentions-older")
    page.locator(f"#mentions-row-{ids['stored']}").wait_for(state="detached")
    assert page.locator("#mentions-newer").is_enabled()
    page.context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_incident_facts_side_by_side_and_the_cause_leaves_the_unknowns(server, browser, lang):
    name = USERS[lang][0]
    other = "en" if lang == "fr" else "fr"
    field = {"en": "incident-fact", "fr": "incident-fr"}
    with server["store"].session() as s:  # the cause not found yet, whichever test ran first
        for incident in s.execute(select(IncidentRow)).scalars():
            incident.cause = None
            incident.translations = {lang: {k: v for k, v in facts.items() if k != "cause"}
                                     for lang, facts in (incident.translations or {}).items()}
    page = log_in(browser, server["url"], name, f"{name}-pw")
    for viewport in VIEWPORTS:
        visit(page, server["url"] + "/incident", viewport)
        mine = page.locator(f"#{field[lang]}-impact").bounding_box()
        theirs = page.locator(f"#{field[other]}-impact").bounding_box()
        assert abs(mine["y"] - theirs["y"]) < 2 and mine["x"] < theirs["x"]  # reader's first
        assert page.locator(".facts details").count() == 0  # nothing folded away
        shot(page, f"incident-{lang}-{viewport['width']}")

    causes = {"en": ("A faulty configuration change on the login service.   ",
                     "the cause and how long the repair will take"),
              "fr": ("Un changement de configuration défectueux.   ",
                     "la cause et la durée de la réparation")}
    for typed in ("en", "fr"):
        unknown = page.locator(f"#{field[typed]}-unknown")
        assert "cause" in unknown.get_attribute("placeholder")  # the playbook's, for now
        page.fill(f"#{field[typed]}-cause", causes[typed][0])
        page.wait_for_function(
            "id => !document.getElementById(id).placeholder.includes('cause')",
            arg=f"{field[typed]}-unknown")
        page.fill(f"#{field[typed]}-unknown", causes[typed][1])
        page.locator(f"#{field[typed]}-unknown-note").get_by_text(
            re.compile("(cause is filled in|cause est renseignée)")).wait_for()
        page.fill(f"#{field[typed]}-unknown", "")
        page.locator(f"#{field[typed]}-unknown-note:empty").wait_for(state="attached")
    page.click("#incident-facts-save")
    page.locator("#incident-facts-msg .notice").wait_for()
    visit(page, server["url"] + "/incident", VIEWPORTS[0])  # drawn again from the store
    for typed in ("en", "fr"):
        assert page.locator(f"#{field[typed]}-cause").input_value() == causes[typed][0].strip()
        assert "cause" not in page.locator(f"#{field[typed]}-unknown").get_attribute(
            "placeholder")
    shot(page, f"incident-{lang}-cause")
    page.context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_maintenance_examples_are_ahead_of_now_in_the_users_zone(server, browser, lang):
    name, zone = USERS[lang]
    page = log_in(browser, server["url"], name, f"{name}-pw")
    visit(page, server["url"] + "/statuspage-admin", VIEWPORTS[1])
    local_now = i18n.naive_local(server["now"], i18n.ZoneInfo(zone))
    starts = datetime.strptime(page.locator("#statuspage-starts").get_attribute("placeholder"),
                               "%Y-%m-%d %H:%M")
    ends = datetime.strptime(page.locator("#statuspage-ends").get_attribute("placeholder"),
                             "%Y-%m-%d %H:%M")
    assert local_now < starts < ends < local_now + timedelta(days=3)
    label = page.locator("label[for=statuspage-starts]").inner_text()
    assert i18n.zone_abbreviation(server["now"], i18n.ZoneInfo(zone)) in label
    page.context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_an_editor_can_ask_for_a_reply_to_a_post_from_before_the_onset(server, browser, lang):
    """Issue 15: the pipeline answers only posts since the onset; a human may choose an
    older one from the Mentions page, and its reply joins the approvals queue."""
    from store.models import DraftRow, ScoreRow

    store, now = server["store"], server["now"]
    word = f"zorblatt{lang}"
    with store.session() as s:
        early = MentionRow(source="x", external_id=f"early-{lang}", author=f"early_{lang}",
                           author_followers=12000, lang="en", metrics={}, raw={},
                           text=f"Nimbus cancellation fees are outrageous {word}",
                           created_at=now - timedelta(hours=2, minutes=30),
                           collected_at=now - timedelta(hours=2, minutes=30))
        s.add(early)
        s.flush()
        s.add(ScoreRow(mention_id=early.id, label="negative", negative=0.8, neutral=0.1,
                       positive=0.1, rumour=0.05, crisis_type="outage", lang="en",
                       model="test", scored_at=now))
        early_id = early.id
    name = USERS[lang][0]
    page = log_in(browser, server["url"], name, f"{name}-pw")
    visit(page, server["url"] + "/mentions", VIEWPORTS[0])
    page.fill("#mentions-search", word)
    page.press("#mentions-search", "Enter")
    row = page.locator(f"#mentions-row-{early_id}")
    row.wait_for()
    button = row.locator("td[data-dash-column=reply] button")
    assert button.inner_text() == {"fr": "Rédiger une réponse", "en": "Draft a reply"}[lang]
    button.click()
    notice = page.locator("#mentions-notice .notice-ok")
    notice.wait_for()
    assert notice.inner_text().startswith({"fr": "Réponse rédigée", "en": "Reply drafted"}[lang])
    shot(page, f"mentions-reply-{lang}")
    page.context.close()
    with store.session() as s:
        draft = s.execute(select(DraftRow).where(DraftRow.mention_id == early_id)).scalar_one()
    assert draft.kind == "reply" and draft.status == "draft"
    assert draft.template.split("/")[-1].startswith("billing.")  # on its own words


def test_replies_are_refused_for_the_brands_own_posts_and_viewers(server):
    from dashboard.context import DashboardContext as Ctx

    store, now = server["store"], server["now"]
    with store.session() as s:
        own = MentionRow(source="x", external_id="own-1", author="NimbusHQ", lang="en",
                         text="We are looking into login issues.", created_at=now,
                         collected_at=now, metrics={}, raw={})
        s.add(own)
        s.flush()
        own_id = own.id
    ctx = Ctx(store=store, clock=lambda: now, library=TemplateLibrary(),
              brand=Brand(handle="@nimbushq"), secret_key="k")
    editor = SimpleNamespace(is_authenticated=True, role="editor", username="ed")
    with pytest.raises(actions.ActionError, match="brand's own"):
        actions.draft_reply(ctx, editor, own_id)
    viewer = SimpleNamespace(is_authenticated=True, role="viewer", username="vi")
    with pytest.raises(actions.ActionError, match="editor"):
        actions.draft_reply(ctx, viewer, own_id)
