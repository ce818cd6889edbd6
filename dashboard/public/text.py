"""The public pages' own words, English and French (everything else on them is what a
human wrote and approved)."""

TEXT = {
    "en": {"operational": "All systems operational", "ongoing": "Ongoing incident", "colon": ":",
           "next_update": "next update by",
           "updates": "Updates", "none": "No incidents reported.",
           "none_yet": "No update in English yet: the first one follows shortly.", "updated": "Page updated",
           "phases": {"investigating": "Investigating", "identified": "Identified",
                      "fixing": "Fix in progress", "monitoring": "Monitoring",
                      "resolved": "Resolved", "postmortem": "Post-incident report"},
           "title": "Status", "components": "Components", "maintenance": "Scheduled maintenance",
           "in_progress": "In progress", "from": "From", "to": "to", "past": "Past incidents",
           "feeds": "Subscribe", "email": "Email", "get_updates": "Get updates by email",
           "states": {"operational": "Operational", "degraded": "Degraded performance",
                      "partial_outage": "Partial outage", "major_outage": "Major outage",
                      "maintenance": "Under maintenance", "checking": "Being checked"},
           "overall": {"degraded": "Some systems are degraded",
                       "partial_outage": "Partial outage", "major_outage": "Major outage",
                       "maintenance": "Maintenance in progress"}},
    "fr": {"operational": "Tous les services fonctionnent normalement",
           "ongoing": "Incident en cours", "colon": "\u00a0:", "updates": "Mises à jour",
           "next_update": "prochain point à",
           "none": "Aucun incident signalé.", "updated": "Page mise à jour",
           "none_yet": "Pas encore de mise à jour en français : la première suit sous peu.",
           "phases": {"investigating": "Analyse en cours", "identified": "Cause identifiée",
                      "fixing": "Correction en cours", "monitoring": "Surveillance",
                      "resolved": "Résolu", "postmortem": "Rapport d'incident"},
           "title": "État des services", "components": "Services",
           "maintenance": "Maintenance programmée", "in_progress": "En cours", "from": "Du",
           "to": "au", "past": "Incidents passés", "feeds": "S'abonner", "email": "E-mail",
           "get_updates": "Recevoir les mises à jour par e-mail",
           "states": {"operational": "Opérationnel", "degraded": "Performances dégradées",
                      "partial_outage": "Panne partielle", "major_outage": "Panne majeure",
                      "maintenance": "En maintenance",
                      "checking": "Vérification en cours"},
           "overall": {"degraded": "Certains services sont dégradés",
                       "partial_outage": "Panne partielle", "major_outage": "Panne majeure",
                       "maintenance": "Maintenance en cours"}},
}
WHEN = "%H:%M UTC, %d %b %Y"


def when(at, lang: str, zone: str = "UTC") -> str:
    """A moment for the page's reader: '10:24 UTC, 3 Dec 2026' / '11 h 24 (heure de Paris),
    3 déc. 2026' (naive datetimes are UTC; `zone` is the brand's for that language)."""
    from responders.templates import format_clock, format_day

    return f"{format_clock(at, lang, zone)}, {format_day(at, lang, zone)}"
