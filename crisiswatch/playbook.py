"""What the drill's response team does, scripted: the facts they learn and when.

The headless drill plays the humans too (declare from the alert, fill facts, approve the
status updates) so `crisiswatch drill` exercises every stage end to end. In the demo the
humans are real and this script only pre-fills the facts form as a suggestion.
"""

from __future__ import annotations

from datetime import timedelta

# minutes after declaration -> (phase or None, facts by language)
PLAYBOOK = {
    "outage": {
        "title": "Login and file sync outage",
        "crisis_type": "outage",
        "severity": "major",
        # what the status page shows under the incident (keys of [status] components)
        "components": {"login": "major_outage", "sync": "partial_outage"},
        "steps": [
            (0, None, {
                "en": {"impact": "many customers cannot log in or sync files",
                       "known": "logins and file sync fail with errors since about {onset}",
                       "unknown": "the cause and how long the repair will take",
                       "actions": "our engineers are investigating the login service"},
                "fr": {"title": "Panne de connexion et de synchronisation",
                       "impact": "de nombreux clients ne peuvent plus se connecter ni "
                                 "synchroniser leurs fichiers",
                       "known": "les connexions et la synchronisation échouent depuis "
                                "environ {onset}",
                       "unknown": "la cause et la durée de la réparation",
                       "actions": "nos ingénieurs analysent le service de connexion"},
            }),
            (30, "identified", {
                "en": {"impact": "about 60% of customers cannot log in or sync files",
                       "cause": "a faulty configuration change on the login service",
                       "unknown": "whether any sync requests were lost",
                       "actions": "we are rolling back the configuration change"},
                "fr": {"impact": "environ 60 % des clients ne peuvent plus se connecter ni "
                                 "synchroniser leurs fichiers",
                       "cause": "un changement de configuration défectueux sur le service "
                                "de connexion",
                       "unknown": "si des synchronisations ont été perdues",
                       "actions": "nous annulons le changement de configuration"},
            }),
            (50, "fixing", {"eta_minutes": 60}),
            (90, "monitoring", {
                "en": {"impact": "logins work again for all customers; some file syncs "
                                 "may take a few minutes to catch up",
                       "actions": "the configuration is rolled back and we are watching "
                                  "logins and sync recover"},
                "fr": {"impact": "les connexions fonctionnent à nouveau pour tous les "
                                 "clients ; certaines synchronisations peuvent prendre "
                                 "quelques minutes à rattraper leur retard",
                       "actions": "le changement est annulé et nous surveillons le retour "
                                  "des connexions et de la synchronisation"},
            }),
            (105, "resolved", {}),
        ],
    },
    "data-leak": {
        "title": "Rumoured customer data leak",
        "crisis_type": "data_leak",
        "severity": "critical",
        "steps": [
            (0, None, {
                "en": {"impact": "no confirmed impact on customer data so far",
                       "known": "a post claims to sell a Nimbus customer database; "
                                "we have found no sign of intrusion yet",
                       "unknown": "whether the claimed data is genuine",
                       "actions": "our security team is analysing the published sample"},
                "fr": {"title": "Rumeur de fuite de données clients",
                       "impact": "aucun impact confirmé sur les données clients à ce stade",
                       "known": "une publication affirme vendre une base clients Nimbus ; "
                                "nous n'avons trouvé aucune trace d'intrusion pour l'instant",
                       "unknown": "si les données annoncées sont authentiques",
                       "actions": "notre équipe sécurité analyse l'échantillon publié"},
            }),
        ],
    },
}


def facts_at(scenario: str, step: int, onset_text: str) -> tuple[str | None, dict, timedelta]:
    """(phase to move to, facts by language, eta offset) for one playbook step."""
    _, phase, facts = PLAYBOOK[scenario]["steps"][step]
    eta = timedelta(minutes=facts.get("eta_minutes", 0))
    by_lang = {lang: {k: v.format(onset=onset_text) for k, v in f.items()}
               for lang, f in facts.items() if lang in ("en", "fr")}
    return phase, by_lang, eta


def suggestion(scenario: str, onset_text: str) -> dict:
    """The first step as a suggestion for the dashboard's forms: title, crisis type,
    severity, and the facts by language ({"en": {...}, "fr": {...}})."""
    book = PLAYBOOK[scenario]
    _, facts, _ = facts_at(scenario, 0, onset_text)
    return {"title": book["title"], "crisis_type": book["crisis_type"],
            "severity": book["severity"], "components": dict(book.get("components", {})),
            **facts}
