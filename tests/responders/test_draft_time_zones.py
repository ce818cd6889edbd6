"""Drafted times are in the audience's time zone: with `[brand] timezones = { fr =
"Europe/Paris" }` the French status update promises its next update in Paris time, the
English one in UTC, and both promise the same instant."""

from __future__ import annotations

from datetime import datetime

from responders.drafts import Brand, suggest_updates
from responders.incidents import declare, update_facts
from responders.templates import TemplateLibrary

T0 = datetime(2026, 12, 3, 10, 0)  # winter: Paris is UTC+1


def test_french_update_promises_paris_time_english_utc(store):
    library = TemplateLibrary(timezones={"fr": "Europe/Paris", "en": "UTC"})
    with store.session() as s:
        incident = declare(s, title="Login outage", crisis_type="outage", severity="major",
                           actor="lead", now=T0)
        update_facts(s, incident, actor="lead", now=T0,
                     impact="about 60% of customers cannot log in",
                     actions="our engineers are investigating the login service")
        update_facts(s, incident, actor="lead", now=T0, lang="fr", title="Panne de connexion",
                     impact="environ 60 % des clients ne peuvent pas se connecter",
                     actions="nos ingénieurs analysent le service de connexion")
        drafts = {(d.audience, d.lang): d for d in suggest_updates(s, incident, library,
                                                                   Brand(), T0)}
    en, fr = drafts[("customers", "en")], drafts[("customers", "fr")]
    assert en.promised_next_update == fr.promised_next_update
    promise = en.promised_next_update
    assert f"{promise:%H:%M} UTC" in en.body
    paris = f"{promise.hour + 1} h {promise:%M} (heure de Paris)"
    assert paris in fr.body, fr.body
    assert "UTC" not in fr.body
