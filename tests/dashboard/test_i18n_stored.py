"""Sentences other layers store or raise, in the reader's language (issue 20): every
message key the responders word (`responders.wording`) and every refusal of
`dashboard.*actions` has its French; none is an f-string (a sentence built before it is
translated can never be); a stored key renders again in French, with its words and names
in French, and a row without a key shows its text."""

from __future__ import annotations

import ast
import re
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from dashboard import actions, i18n, stored_texts
from responders import approval, incidents, statusboard
from responders.wording import Localized, Wording, word, wording
from store.models import DraftRow, StatusComponentRow, TimelineRow

ROOT = Path(i18n.__file__).resolve().parents[1]
# Calls whose first argument is a message key: the responders' worded sentences and
# errors, and the dashboard's refusals.
KEYED_CALLS = {"wording", "Wording", "ActionError", "ApprovalError", "OutboxError",
               "TransitionError", "CellError", "SecondIncident"}
SOURCES = sorted((ROOT / "responders").glob("*.py")) + sorted(
    (ROOT / "dashboard").glob("*actions.py"))
NOW = datetime(2026, 3, 11, 10, 0)


def keyed_literals() -> tuple[dict[str, str], list[str]]:
    """(key -> where, f-strings passed as a key) over `SOURCES`."""
    keys, built = {}, []
    for path in SOURCES:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in KEYED_CALLS:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            for first in _choices(node.args[0]):
                if isinstance(first, ast.JoinedStr):
                    built.append(where)
                elif isinstance(first, ast.Constant) and isinstance(first.value, str):
                    keys.setdefault(first.value, where)
    return keys, built


def _choices(node: ast.expr) -> list[ast.expr]:
    """The key expressions of `a if c else b` (nested), or the node itself."""
    if isinstance(node, ast.IfExp):
        return _choices(node.body) + _choices(node.orelse)
    return [node]


def test_the_walk_finds_the_keys():
    keys, _built = keyed_literals()
    assert len(keys) > 60
    assert "{before} -> {to}" in keys and "Draft #{id} no longer exists." in keys


def test_no_key_is_an_f_string():
    _keys, built = keyed_literals()
    assert not built, "a key built with an f-string cannot be translated:\n" + "\n".join(built)


def test_every_key_has_french():
    french = i18n.catalogue("fr")
    keys, _built = keyed_literals()
    missing = [f"{where}: {key!r}" for key, where in keys.items() if key not in french
               and re.search(r"[A-Za-z]", re.sub(r"\{[^{}]*\}", "", key))]  # not "{a} -> {b}"
    assert not missing, "no French in dashboard/locale/fr/ for:\n" + "\n".join(missing)


def test_every_vocabulary_word_has_french():
    french = i18n.catalogue("fr")
    missing = [f"{vocabulary}: {label!r}"
               for vocabulary, labels in stored_texts.VOCABULARY_LABELS.items()
               for label in labels.values() if label not in french and len(label) > 3
               and label not in ("Reddit", "Mastodon", "Bluesky", "Slack")]
    assert not missing


def test_a_wording_renders_in_each_language():
    said = wording("Status page: {component} {before} -> {to}",
                   component=Localized({"en": "File sync", "fr": "Synchronisation"}, "sync"),
                   before=word("state", "operational"), to=word("state", "partial_outage"))
    assert said.english == "Status page: File sync operational -> partial_outage"
    assert stored_texts.say(said.as_json(), lang="fr") == \
        "Page d'état : Synchronisation Opérationnel -> Panne partielle"
    assert stored_texts.say(said, lang="en") == \
        "Status page: File sync Operational -> Partial outage"
    assert stored_texts.say(None, "as stored", lang="fr") == "as stored"
    nested = wording("draft #{id} is {stale}", id=4, stale=wording(
        "out of date: it promises the next update by {at} UTC, which has passed", at="10:30"))
    assert Wording.from_json(nested.as_json()) == nested
    assert stored_texts.say(nested, lang="fr").startswith("le brouillon n° 4 est périmé")


def test_timeline_rows_keep_their_key_and_old_rows_their_text(store, monkeypatch):
    with store.session() as s:
        incident = incidents.declare(s, title="Login down", crisis_type="outage",
                                     severity="major", actor="sam", now=NOW)
        incidents.transition(s, incident, "identified", actor="sam", now=NOW)
        s.add(TimelineRow(incident_id=incident.id, at=NOW, actor="old", kind="note",
                          detail="written before 0013"))
        s.flush()
        rows = {r.kind: r for r in s.query(TimelineRow).filter_by(incident_id=incident.id)}
        assert rows["phase"].detail == "investigating -> identified"  # the English, unchanged
        assert rows["phase"].detail_key == "{before} -> {to}"
        monkeypatch.setattr(stored_texts, "current_lang", lambda: "fr")
        fr = {k: stored_texts.from_row(r.detail_key, r.detail_params, r.detail)
              for k, r in rows.items()}
    assert fr["phase"] == "Analyse en cours -> Cause identifiée"
    assert fr["declared"] == "Incident déclaré (gravité majeure, panne) : Login down"
    assert fr["note"] == "written before 0013"


def test_a_refusal_carries_its_key_and_is_shown_in_french(store, monkeypatch):
    with store.session() as s:
        incident = incidents.declare(s, title="Login down", crisis_type="outage",
                                     severity="major", actor="sam", now=NOW)
        draft = DraftRow(incident_id=incident.id, kind="status", audience="customers",
                         channel="statuspage", lang="en", phase="investigating", body="x",
                         template="t", author="crisiswatch", status="draft", created_at=NOW,
                         updated_at=NOW, incident_version=0)
        s.add(draft)
        incidents.transition(s, incident, "identified", actor="sam", now=NOW)
        s.flush()
        with pytest.raises(approval.ApprovalError) as refused:
            approval.approve(s, draft, approver="ann", role="approver", now=NOW)
        with pytest.raises(incidents.TransitionError) as wrong:
            incidents.transition(s, incident, "investigating", actor="sam", now=NOW)
    assert refused.value.key == "draft #{id} is {stale}"
    assert str(refused.value).startswith("draft #1 is out of date: written during "
                                         "'investigating', the incident is now 'identified'")
    error = actions.ActionError.of(refused.value)
    monkeypatch.setattr(stored_texts, "current_lang", lambda: "fr")
    assert str(error).startswith("le brouillon n° 1 est périmé : rédigé pendant la phase "
                                 "« Analyse en cours », l'incident est maintenant en phase "
                                 "« Cause identifiée »")
    assert error.english == str(refused.value)
    assert str(actions.ActionError.of(wrong.value)).startswith(
        "impossible de passer de « Cause identifiée » à « Analyse en cours »")
    assert str(actions.ActionError("Draft #{id} no longer exists.", id=7)) == \
        "Le brouillon n° 7 n'existe plus."


def test_role_refusal_in_french(monkeypatch):
    viewer = SimpleNamespace(role="viewer", is_authenticated=True)
    with pytest.raises(actions.ActionError) as refused:
        actions.require(viewer, approval.EDITOR_ROLES, i18n.N_("change the phase"))
    assert refused.value.english == ("You are signed in as a viewer; to change the phase you "
                                     "need to be an editor, approver or admin.")
    monkeypatch.setattr(stored_texts, "current_lang", lambda: "fr")
    assert str(refused.value) == ("Vous êtes connecté(e) avec le rôle « lecture » ; pour "
                                  "changer de phase, il faut le rôle rédaction, validation ou "
                                  "admin.")


def test_component_change_on_the_timeline_names_the_component_in_french(store, monkeypatch):
    with store.session() as s:
        s.add(StatusComponentRow(key="sync", names={"en": "File sync",
                                                    "fr": "Synchronisation des fichiers"},
                                 state="operational", position=0, updated_at=NOW))
        incident = incidents.declare(s, title="Sync down", crisis_type="outage",
                                     severity="major", actor="sam", now=NOW)
        statusboard.set_component_state(s, "sync", "partial_outage", actor="sam", now=NOW,
                                        incident=incident)
        s.flush()
        row = s.query(TimelineRow).filter_by(kind="component").one()
        assert row.detail == "Status page: File sync operational -> partial_outage"
        monkeypatch.setattr(stored_texts, "current_lang", lambda: "fr")
        assert stored_texts.from_row(row.detail_key, row.detail_params, row.detail) == \
            "Page d'état : Synchronisation des fichiers Opérationnel -> Panne partielle"
