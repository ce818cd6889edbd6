"""The cockpit in French and English, in headless Chromium: every page, in both languages,
at 1440x900 and 1280x800, keeps its navigation on one row and shows no English when the
user reads French; times are in the user's zone; the language switcher, the /statuspage
redirect and the header's phase right after declaring.

The shell's 3 s tick is switched off here (REFRESH_MS = 10 min), so anything the header
shows after a click came from navigation or the incident-change signal, not the interval.
What other layers store (timeline entries, stale reasons) and the refusals and flashes of
actions are French too: `.t-said` timeline entries are checked like any label, only rows
from before their key (`.t-detail`) count as data.

Screenshots: tests/artifacts/i18n-*.png."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from crisiswatch.playbook import PLAYBOOK
from dashboard import app as shell
from dashboard import i18n
from dashboard.auth import add_user
from dashboard.components import PHASE_LABELS
from dashboard.context import DashboardContext
from dashboard.preferences import set_preferences
from responders import incidents
from responders.drafts import Brand
from responders.templates import TemplateLibrary
from store.models import DraftRow, IncidentRow, UserRow
from tests.support.browser import ARTIFACTS, chromium, drilled, log_in, nav_to
from tests.support.browser import require_browser as _require_browser

pytestmark = pytest.mark.browser

VIEWPORTS = ({"width": 1440, "height": 900}, {"width": 1280, "height": 800})
USERS = {"fr": ("camille", "Europe/Paris"), "en": ("sam", "UTC")}
# Text the store or the configuration holds (mentions, titles, names, drafts, linter
# messages in the message's language): shown as written, never translated.
DATA_SELECTORS = (
    ".quote-text", ".quote-meta", ".alert-title", ".inc-title", ".incident-header h1",
    ".t-detail", ".t-actor", ".body-ro", ".sent-text", ".broadcasts-text", ".lint-msg",
    ".lint-quote", ".subject b", ".brand", ".who", "textarea", "input", "select", "option",
    "td[data-dash-column=text]", "td[data-dash-column=author]",
    "td[data-dash-column=last_error]", "script", "style", ".js-plotly-plot .legendtext",
)
DATA = ", ".join(DATA_SELECTORS)
VISIBLE_TEXT = """(data) => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement, text = node.textContent.trim();
    if (!text || !el || el.closest(data)) continue;
    const box = el.getBoundingClientRect(), style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === 'hidden') continue;
    out.push(text);
  }
  for (const el of document.querySelectorAll('[placeholder]')) {
    if (el.getBoundingClientRect().width) out.push(el.getAttribute('placeholder'));
  }
  for (const el of document.querySelectorAll('.Select-placeholder, .gtitle, .xtitle, .ytitle, .annotation-text')) {
    if (el.textContent.trim()) out.push(el.textContent.trim());
  }
  return out;
}"""
LAYOUT = """() => {
  const nav = document.querySelector('#shell-nav'), bar = document.querySelector('.topbar');
  const tops = [...nav.children].map(e => Math.round(e.getBoundingClientRect().top));
  const buttons = [...document.querySelectorAll('.topbar .menu-button')]
    .map(b => Math.round(b.getBoundingClientRect().height));
  return {tops, buttons, nav: nav.scrollWidth - nav.clientWidth,
          bar: bar.scrollWidth - bar.clientWidth,
          height: Math.round(bar.getBoundingClientRect().height)};
}"""
# Words a French screen never contains, as whole words: English left unmarked.
ENGLISH_WORDS = {"the", "and", "of", "per", "with", "not", "yet", "your", "what", "from",
                 "by", "is", "are", "no", "nothing", "last", "waiting", "shown", "sent",
                 "all", "none", "this", "that", "will", "has", "have", "been", "was",
                 "there", "here", "when", "who", "see", "open", "choose"}


def english_patterns() -> list[re.Pattern]:
    """Each catalogue entry whose French differs, as a full-text pattern of the English
    (placeholders match anything)."""
    out = []
    for english, french in i18n.catalogue("fr").items():
        parts = re.split(r"\{[^{}]*\}", english.strip())
        if english.strip() == french.strip() or not re.search(r"[A-Za-z]{3}", "".join(parts)):
            continue  # the same in French, or nothing but placeholders and punctuation
        out.append(re.compile(".+?".join(re.escape(p) for p in parts) + r"\Z"))
    return out


def untranslated(texts: list[str], patterns: list[re.Pattern], data: list[str]) -> list[str]:
    """The texts that are English: a catalogue entry left in English, or English words
    outside the `data` strings the store holds (an incident's title within a sentence)."""
    found = []
    for shown in texts:
        text = shown
        for value in data:
            text = text.replace(value, "")
        words = set(re.findall(r"[a-z]+", text.lower()))
        if any(p.match(text) for p in patterns) or words & ENGLISH_WORDS:
            found.append(shown)
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _require_browser()
    tmp = tmp_path_factory.mktemp("i18n")
    store, pipeline, now = drilled(tmp, before=timedelta(hours=3), after=timedelta(minutes=15))
    with store.session() as s:
        for lang, (name, zone) in USERS.items():
            row = add_user(s, name, f"{name}-pw", "approver", now=now)
            s.flush()
            set_preferences(s, row.id, lang, zone, now)
    book = PLAYBOOK["outage"]
    ctx = DashboardContext(
        store=store, clock=lambda: now, library=TemplateLibrary(), brand=Brand(),
        secret_key="i18n-test", refresh_drafts=pipeline.draft, publish=pipeline.publish,
        playbook_facts=lambda: {"title": book["title"], "crisis_type": book["crisis_type"],
                                "severity": book["severity"]})
    patch = pytest.MonkeyPatch()
    patch.setattr(shell, "REFRESH_MS", 10 * 60 * 1000)
    app = shell.create_app(ctx)
    httpd = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield {"url": f"http://127.0.0.1:{httpd.server_port}", "store": store, "now": now}
    httpd.shutdown()
    patch.undo()
    store.engine.dispose()


@pytest.fixture(scope="module")
def browser(server):
    with chromium() as launched:
        yield launched


def settle(page) -> None:
    """The page's first callbacks have drawn (Dash marks the document while loading)."""
    page.locator("#shell-nav .menu").first.wait_for()
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)


def test_header_follows_a_declaration_without_the_tick(server, browser):
    page = log_in(browser, server["url"], "camille", "camille-pw")
    assert page.locator("#shell-phase .phase-none").text_content() == "Aucun incident"
    alert = page.locator(".alert").first
    alert.get_by_role("button", name="Déclarer un incident…").click()
    page.locator("#overview-declare-title").wait_for()
    page.click("#overview-declare-submit")
    page.get_by_text(re.compile(r"Incident n° \d+ déclaré")).wait_for()
    # The tick is off: only the declaration's signal can have redrawn the header.
    page.locator("#shell-phase .phase-investigating").wait_for(timeout=10_000)
    assert "Analyse en cours" in page.locator("#shell-phase").text_content()
    page.context.close()


def test_times_are_in_the_users_zone(server, browser):
    page = log_in(browser, server["url"], "camille", "camille-pw")
    settle(page)
    local = i18n.local(server["now"], i18n.ZoneInfo("Europe/Paris"))
    assert page.locator("#shell-zone").inner_text() == local.strftime("%Z")  # CET / CEST
    assert page.locator("#shell-clock").inner_text() == local.strftime("%H:%M:%S")
    assert f"Heure ({local:%Z})" in page.locator("#overview-activity").inner_text()
    page.context.close()


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v['width']}x{v['height']}")
def test_every_page_one_row_nav_and_translated(server, browser, lang, viewport):
    name, _zone = USERS[lang]
    page = log_in(browser, server["url"], name, f"{name}-pw")
    page.set_viewport_size(viewport)
    paths = [p["path"] for _key, _label, pages in shell.nav_groups() for p in pages]
    assert len(paths) >= 8
    patterns = english_patterns()
    with server["store"].session() as s:
        titles = [t for (t,) in s.execute(select(IncidentRow.title))]
    assert titles, "no incident: the pages would be drawn without one"
    problems = []
    for path in paths:
        page.goto(server["url"] + path)
        settle(page)
        box = page.evaluate(LAYOUT)
        if max(box["tops"]) - min(box["tops"]) > 2 or box["nav"] > 0 or box["bar"] > 0 \
                or box["height"] > 70 or max(box["buttons"]) > 40:
            problems.append(f"{path}: the navigation wraps or overflows {box}")
        if lang == "fr":
            problems += [f"{path}: English on a French screen: {text!r}"
                         for text in untranslated(page.evaluate(VISIBLE_TEXT, DATA), patterns,
                                                  titles)]
        if lang == "fr" and viewport["width"] == 1440 and path in ("/", "/incident"):
            page.screenshot(path=str(ARTIFACTS / f"i18n-fr-{path.strip('/') or 'overview'}.png"))
    page.context.close()
    assert not problems, "\n".join(problems)


def test_every_menu_opens_and_reaches_its_pages(server, browser):
    page = log_in(browser, server["url"], "sam", "sam-pw")
    page.set_viewport_size(VIEWPORTS[1])
    for _key, _label, pages in shell.nav_groups():
        for p in pages:
            nav_to(page, p["path"])
            page.wait_for_url(server["url"] + p["path"])
            # the shell redraws the menus on navigation: the page's link, in the open group
            page.locator(f"#shell-nav .menu.active a.menu-link.active[href='{p['path']}']"
                         ).wait_for(state="attached", timeout=10_000)
    public = page.locator("#shell-public-status")
    assert public.get_attribute("href") == "/status" and "Public status" in public.inner_text()
    page.context.close()


def test_statuspage_redirects_to_the_admin_page(server, browser):
    page = log_in(browser, server["url"], "sam", "sam-pw")
    answer = page.goto(server["url"] + "/statuspage")
    page.wait_for_url(server["url"] + "/statuspage-admin")
    assert answer.request.redirected_from.url == server["url"] + "/statuspage"
    page.get_by_role("heading", name="Status page admin").wait_for()
    assert page.url == server["url"] + "/statuspage-admin"
    page.context.close()


def test_switching_language_and_zone_from_the_user_menu(server, browser):
    page = log_in(browser, server["url"], "sam", "sam-pw")
    page.goto(server["url"] + "/mentions")
    settle(page)
    page.locator(".user-menu").hover()
    page.select_option("#shell-lang", "fr")
    page.select_option("#shell-timezone", "Europe/Paris")
    page.click("#shell-prefs-save")
    page.wait_for_url(server["url"] + "/mentions")
    page.get_by_role("heading", name="Mentions").wait_for()
    page.get_by_text("Rechercher", exact=True).wait_for()
    with server["store"].session() as s:
        row = s.query(UserRow).filter_by(username="sam").one()
        assert (row.lang, row.timezone) == ("fr", "Europe/Paris")
        row.lang, row.timezone = "en", "UTC"  # as the other tests expect
    page.context.close()


def french_problems(page, where: str, titles: list[str]) -> list[str]:
    return [f"{where}: English on a French screen: {text!r}"
            for text in untranslated(page.evaluate(VISIBLE_TEXT, DATA), english_patterns(),
                                     titles)]


def test_stored_texts_refusals_and_flashes_are_french(server, browser):
    """What other layers wrote, in French (issue 20): the incident timeline after a phase
    change (`.t-said`: stored with its key), the phase change's flash, a refused action's
    error (an ETA that is no time), a saved-facts flash naming the facts, and the approvals
    queue with a stale draft and its reason."""
    store, now = server["store"], server["now"]
    with store.session() as s:
        incident = s.execute(select(IncidentRow).where(IncidentRow.phase.in_(
            ("investigating", "identified", "fixing", "monitoring")))
            .order_by(IncidentRow.id.desc())).scalars().first()
        if incident is None:  # this test alone (the header test declares one otherwise)
            incident = incidents.declare(s, title="Connexion impossible", crisis_type="outage",
                                         severity="major", actor="camille", now=now)
        titles = [t for (t,) in s.execute(select(IncidentRow.title))]
        before = incident.phase
    page = log_in(browser, server["url"], "camille", "camille-pw")
    page.goto(server["url"] + "/incident")
    settle(page)
    page.locator("#incident-phase button.phase-btn").first.click()
    page.locator("#incident-flash .notice-ok").wait_for()
    assert page.locator("#incident-flash").inner_text().startswith("Phase désormais")
    said = page.locator("#incident-timeline .t-said", has_text=" -> ").first
    said.wait_for()
    assert said.inner_text().startswith(i18n.translate(PHASE_LABELS[before], "fr") + " -> ")
    problems = french_problems(page, "/incident after a phase change", titles)

    page.fill("#incident-fact-eta", "bientôt")
    page.click("#incident-facts-save")
    refused = page.locator("#incident-facts-msg .notice-error")
    refused.wait_for()
    assert refused.inner_text().startswith("Heure de rétablissement 'bientôt' : écrivez")
    problems += french_problems(page, "/incident, a refused save", titles)

    page.fill("#incident-fact-eta", "")
    page.fill("#incident-fr-impact", "Connexion impossible pour une partie des clients.")
    page.click("#incident-facts-save")
    saved = page.locator("#incident-facts-msg .notice-ok")
    saved.wait_for()
    assert saved.inner_text().startswith("Enregistré (impact (français)")
    problems += french_problems(page, "/incident, the saved-facts flash", titles)
    page.screenshot(path=str(ARTIFACTS / "i18n-fr-incident-stored-texts.png"))

    with store.session() as s:  # a human's draft from before the phase change: stale
        incident = s.get(IncidentRow, incident.id)
        s.add(DraftRow(incident_id=incident.id, kind="status", audience="customers",
                       channel="statuspage", lang="fr", phase=before, body="Nous enquêtons.",
                       template="manual", author="camille", status="draft", created_at=now,
                       updated_at=now, incident_version=(incident.version or 1) - 1))
    page.goto(server["url"] + "/approvals")
    settle(page)
    stale = page.get_by_text(re.compile(r"^Validation et envoi impossibles : ce brouillon est "
                                        r"périmé : rédigé pendant la phase"))
    stale.first.wait_for()
    stale.first.scroll_into_view_if_needed()
    problems += french_problems(page, "/approvals with a stale draft", titles)
    page.screenshot(path=str(ARTIFACTS / "i18n-fr-approvals-stale.png"))
    page.context.close()
    assert not problems, "\n".join(problems)
