"""The last English on French screens (issue 20): times inside the maintenance refusals and
the "action already done" refusal are shown in the reader's zone, and broadcast segment
names ("customers") by their label in the reader's language. The English stays what it was;
a segment with no label is shown as written."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from dashboard import actions, i18n, stored_texts
from dashboard import components as ui
from dashboard.app import create_app
from dashboard.context import DashboardContext
from responders import lessons
from responders.drafts import Brand
from responders.incidents import declare
from responders.postmortem import add_action
from responders.templates import TemplateLibrary
from responders.wording import wording, words

NOW = datetime(2026, 3, 11, 10, 0)  # 11:00 in Paris
PARIS, UTC = ZoneInfo("Europe/Paris"), ZoneInfo("UTC")
EDITOR = SimpleNamespace(username="eve", role="editor", is_authenticated=True)
TEXTS = {"en": {"title": "Database upgrade", "body": "Sync may pause."}}


@pytest.fixture
def reader(monkeypatch):
    """reader("fr", PARIS): the current user's language and zone, for the stored texts and
    for the pages' `_()`."""
    def be(lang: str, zone: ZoneInfo) -> None:
        for module in (stored_texts, i18n):
            monkeypatch.setattr(module, "current_lang", lambda: lang)
            monkeypatch.setattr(module, "current_zone", lambda: zone)
    return be


@pytest.fixture
def page(store):
    """The Broadcasts page module as the app loaded it (Dash imports it under its own name)."""
    create_app(DashboardContext(store=store, clock=lambda: NOW, library=TemplateLibrary(),
                                brand=Brand(), secret_key="segments"))
    return next(m for n, m in sys.modules.items() if n.endswith("pages.broadcasts"))


def refusal(**when) -> actions.ActionError:
    ctx = SimpleNamespace(clock=lambda: NOW, store=None)  # refused before the store is used
    with pytest.raises(actions.ActionError) as refused:
        actions.schedule_maintenance(ctx, EDITOR, texts=TEXTS, components=[], **when)
    return refused.value


def test_maintenance_refusals_show_their_times_in_the_readers_zone(reader):
    over = refusal(starts="2026-03-09 08:00", ends="2026-03-10 09:00")
    backwards = refusal(starts="2026-03-11 22:00", ends="2026-03-11 21:00")
    assert over.english == ("The maintenance would already be over (it ends 2026-03-10 09:00 "
                            "UTC; it is now 2026-03-11 10:00).")  # as always
    assert backwards.english == ("The maintenance ends (2026-03-11 21:00) before it starts "
                                 "(2026-03-11 22:00): check the end time.")
    reader("fr", PARIS)
    assert str(over) == ("La maintenance serait déjà terminée (elle finit le 10 mars 10:00 "
                         "CET ; nous sommes le 11 mars 11:00 CET).")
    assert str(backwards) == ("La maintenance se termine (11 mars 22:00 CET) avant de "
                              "commencer (11 mars 23:00 CET) : vérifiez l'heure de fin.")
    reader("en", UTC)
    assert str(over) == ("The maintenance would already be over (it ends 10 Mar 09:00 UTC; "
                         "it is now 11 Mar 10:00 UTC).")


def test_action_already_done_shows_when_in_the_readers_zone(store, reader):
    with store.session() as s:
        incident = declare(s, title="API outage", crisis_type="outage", severity="major",
                           actor="lead", now=NOW)
        action = add_action(s, incident, text="Add a status page probe", owner="tech",
                            due_at=None, actor="lead", now=NOW)
        lessons.close_action(s, action.id, actor="lee", now=NOW)
        with pytest.raises(lessons.LessonError) as refused:
            lessons.close_action(s, action.id, actor="lee", now=NOW)
    assert str(refused.value) == "action #1 was already done on 2026-03-11 10:00 UTC"
    reader("fr", PARIS)
    assert stored_texts.say(refused.value.wording) == \
        "l'action n° 1 a déjà été réalisée le 11 mars 11:00 CET"
    reader("en", UTC)
    assert stored_texts.say(refused.value.wording) == \
        "action #1 was already done on 11 Mar 10:00 UTC"


def test_segments_in_a_stored_sentence_are_labels_unknown_ones_as_written(reader):
    said = wording("{n} held for quiet hours ({segments}) until {until}", n=2,
                   segments=words("segment", ["customers", "key-accounts", "vip"]),
                   until="08:00")
    assert said.english == "2 held for quiet hours (customers, key-accounts, vip) until 08:00"
    reader("fr", PARIS)
    assert stored_texts.say(said.as_json()) == \
        "2 retenu(s) pendant les heures calmes (clients, grands comptes, vip) jusqu'au 08:00"
    reader("en", UTC)
    assert stored_texts.say(said) == said.english


def test_broadcasts_page_names_segments_in_the_readers_language(page, reader):
    broadcast = {"id": 1, "segments": ["staff", "customers"], "severity": "major",
                 "created_at": NOW, "state": "active", "approved_by": "lead", "body": "x"}
    row = {"broadcast": 1, "segment": "customers", "recipients": 2, "confirmed": 1,
           **{key: 0 for key, _label in page.FIGURES if key not in ("recipients", "confirmed")}}
    counts = Counter({"staff": 3, "press": 1})
    reader("fr", PARIS)
    card = str(page.render_broadcasts([broadcast], [row]))
    assert "#1 · collaborateurs, clients · " in card and "'clients'" in card
    assert page.render_contacts(counts, 0).children == "collaborateurs: 3; presse: 1"
    assert ui.segment_label("vip") == "vip"
    reader("en", UTC)
    assert "#1 · staff, customers · " in str(page.render_broadcasts([broadcast], [row]))
    assert page.render_contacts(counts, 0).children == "staff: 3; press: 1"
