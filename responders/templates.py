"""Prepared messages: find the right Jinja template for an incident and render it safely.

Layout under the template root (``templates/`` at the repository top level)::

    status/<crisis_type|generic>/<phase>.<lang>.j2              public status page update
    notify/<crisis_type|generic>/<audience>.<phase>.<lang>.j2   team, ceo, customers (email), sms,
                                                                partners, investors, regulators
    postmortem/<crisis_type|generic>/{board,public}.<lang>.j2
    replies/<crisis_type|generic>/<category>.<lang>.j2          social replies to one mention

Lookup tries ``<kind>/<crisis_type>/<name>.<lang>.j2`` then ``<kind>/generic/<name>.<lang>.j2`` and
raises ``TemplateMissing`` when neither exists. Email-like templates start with a ``Subject: ...``
line, which ``render`` splits off into ``Rendered.subject`` (empty string when there is none).

Templates interpolate text that strangers wrote (mention authors) and that stressed humans typed
(facts), so they render in an ``ImmutableSandboxedEnvironment`` with ``StrictUndefined``: a typo in a
template fails loudly in tests instead of publishing an empty gap. Output is plain text, so there is
no HTML autoescaping.

Context contract (exactly these keys; see ``example_context``)::

    brand:     {"name", "handle", "status_url"}
    incident:  {"id", "title", "crisis_type", "severity", "phase", "declared_at"}
    facts:     {"impact", "known", "unknown", "cause" (None = not yet known), "actions",
                "eta" (formatted time or None = not yet known), "next_update"}
    mention:   {"author", "text", "category"}        (replies only)
    statement_url: str | None                        (the rumour reply cites it, else the status page)

Facts are sentence fragments in the message language; a trailing full stop or semicolon a
human typed is dropped, and a first word that is not a name is lowercased (a fact follows
"Impact:" or sits inside a sentence), so punctuation joins facts cleanly.

Language and place (``TemplateLibrary(timezones={"fr": "Europe/Paris"})``, from the brand):
``facts.eta``, ``facts.next_update`` and ``incident.declared_at`` may be datetimes (naive =
UTC) or ``"HH:MM UTC"`` strings; they are written in the audience's zone for the language
(``11:30 UTC`` / ``12 h 30 (heure de Paris)``; a string is moved to the zone only when
``render(now=...)`` gives the day, because the offset depends on it). French output gets its
typography: U+00A0 before ``:``, U+202F before ``;`` ``?`` ``!`` (SMS templates excepted: GSM-7).
``facts.impact_confirmed`` is derived (False when the impact says nothing is confirmed yet,
"may have been exposed"), so data-leak wording never presupposes a breach.
Filters: ``ucfirst``, ``lcfirst``, ``gsm7``, ``clock`` (a time, as above) and ``day``
("3 déc. 2026" / "3 Dec 2026").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import FileSystemLoader, StrictUndefined, TemplateNotFound, pass_context
from jinja2.sandbox import ImmutableSandboxedEnvironment

import templates as templates_package
from responders.lint_patterns import UNCONFIRMED_IMPACT

KINDS = ("status", "notify", "postmortem", "replies", "followup")
LANGS = ("en", "fr")
PHASES = ("investigating", "identified", "fixing", "monitoring", "resolved", "postmortem")
REPLY_CATEGORIES = (
    "outage_complaint",
    "status_question",
    "data_leak_worry",
    "rumour",
    "billing",
    "praise",
)
DEFAULT_ROOT = Path(templates_package.__file__).resolve().parent

# Path components come from callers; keep them to plain identifiers so no lookup can escape root.
_SAFE_PART = re.compile(r"^[a-z][a-z0-9_]*$")
_SAFE_NAME = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)?$")


class TemplateMissing(LookupError):
    """No template for (kind, name, crisis_type, lang), not even the generic one."""

    def __init__(self, kind: str, name: str, crisis_type: str, lang: str, tried: tuple = ()):
        self.kind, self.name, self.crisis_type, self.lang = kind, name, crisis_type, lang
        self.tried = tuple(tried)
        where = ", ".join(self.tried) or "nowhere"
        super().__init__(
            f"No {kind} template {name!r} for crisis type {crisis_type!r} in language {lang!r} "
            f"(tried {where})"
        )


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    template: str  # path relative to the template root, the one actually used


def _ucfirst(value: object) -> str:
    """Capitalise only the first letter (str.capitalize would lowercase 'UTC', 'Nimbus'...)."""
    text = str(value)
    return text[:1].upper() + text[1:]


# Characters a French SMS commonly contains that are not in GSM-7; one of them would switch the whole
# SMS to UCS-2 (70 characters per segment instead of 160), so SMS templates transliterate them.
_GSM_REPLACEMENTS = {
    "\u00a0": " ",
    "\u202f": " ",
    "\u2019": "'",
    "\u2018": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2026": "...",
    "\u0153": "oe",
    "\u0152": "OE",
    "\u00e7": "c",
}
_GSM_KEEP = set("àäéèùìòÇÉÄÖÑÜäöñüØøÅåÆæß")


def _gsm7(value: object) -> str:
    """Replace characters outside the GSM 03.38 alphabet with their closest GSM equivalent."""
    out = []
    for ch in str(value):
        if ch in _GSM_KEEP or ord(ch) < 128:
            out.append(ch)
        elif ch in _GSM_REPLACEMENTS:
            out.append(_GSM_REPLACEMENTS[ch])
        else:
            # ê -> e, î -> i, ô -> o...: drop the accent; keep the character if it has none.
            base = unicodedata.normalize("NFD", ch)[0]
            out.append(base if ord(base) < 128 else ch)
    return "".join(out)


# "What we know: ." -- a labelled line whose fact is still empty says nothing; drop it
# rather than publish a blank. (The linter also refuses any blank that slips through.)
_EMPTY_LABELLED_LINE = re.compile(r"^[^\S\n]*[^:\n]{1,48}[^\S\n]?:[^\S\n]*\.?[^\S\n]*$", re.MULTILINE)


def _clean(text: str) -> str:
    text = _EMPTY_LABELLED_LINE.sub("", text)
    text = re.sub(r"(?<![.])\.\.(?![.])", ".", text)  # a fact's own full stop + the template's
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def french_typography(text: str) -> str:
    """Espace insécable: U+00A0 before ':', U+202F before ';', '?', '!' and inside « »."""
    text = re.sub(r"[ \u00a0\u202f]+:(?=\s|$)", "\u00a0:", text)
    text = re.sub(r"[ \u00a0\u202f]+([;?!])", "\u202f\\1", text)
    text = re.sub(r"«[ \u00a0\u202f]*", "«\u00a0", text)
    return re.sub(r"[ \u00a0\u202f]*»", "\u00a0»", text)


# A fact's first word stays capitalised only when it is a name or an acronym.
_COMMON_FIRST = re.compile(
    r"(?:l'|d'|l’|d’)|(?:the|a|an|about|around|almost|many|most|some|several|all|every|no|none|our|we|your|"
    r"logins?|customers?|users?|files?|since|between|for|during|only|one|two|three|"
    r"le|la|les|un|une|des|du|de|environ|près|plusieurs|certains?|certaines?|tous|toutes|"
    r"aucun|aucune|nos|notre|nous|vos|votre|depuis|entre|pendant|seul|seuls|seules|si|"
    r"pourquoi|why|whether|how|what|which|connexions?|clients?|utilisateurs?|fichiers?|"
    r"échecs?|pannes?|exposition|rumeur|fuite|problèmes?|ralentissements?|failures?|outage|"
    r"slow|customer|data|données|incident)\b",
    re.IGNORECASE,
)


def _lcfirst(value: object) -> str:
    """Lowercase the first letter when the first word is an ordinary word (not 'Nimbus',
    'EU', 'API'): a fact placed after a colon or inside a sentence."""
    text = str(value)
    if text[:1].isupper() and not text[1:2].isupper() and _COMMON_FIRST.match(text):
        return text[:1].lower() + text[1:]
    return text


_SENTENCE_FACTS = ("impact", "known", "unknown", "cause", "actions")


def _fact_text(value):
    if not isinstance(value, str):
        return value
    text = value.strip()
    while text.endswith((".", ";", ",")) and not text.endswith("..."):
        text = text[:-1].rstrip()
    return _lcfirst(text)


_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
           "nov.", "déc."),
}
_UTC_STRING = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*UTC\s*$")


def _zone(name: str | tzinfo | None) -> tzinfo:
    if name is None or name in ("", "UTC"):
        return UTC
    return name if isinstance(name, tzinfo) else ZoneInfo(str(name))


def format_clock(value, lang: str, zone: str | tzinfo | None = None,
                 reference: datetime | None = None):
    """A time for the audience: ``11:30 UTC`` / ``11 h 30 UTC`` in UTC; in another zone
    ``12:30 (Paris time)`` / ``12 h 30 (heure de Paris)``. `value`: a datetime (naive = UTC)
    or an ``"HH:MM UTC"`` string (moved to `zone` only with a `reference` day); anything
    else is returned as it is."""
    where = _zone(zone)
    if isinstance(value, str):
        m = _UTC_STRING.match(value)
        if not m:
            return value
        if reference is None:
            where = UTC
        base = reference.replace(tzinfo=UTC) if reference and reference.tzinfo is None else (
            reference.astimezone(UTC) if reference else datetime(2000, 1, 1, tzinfo=UTC))
        value = base.replace(hour=int(m.group(1)), minute=int(m.group(2)), second=0,
                             microsecond=0)
    elif not isinstance(value, datetime):
        return value
    at = (value.replace(tzinfo=UTC) if value.tzinfo is None else value).astimezone(where)
    hhmm = f"{at.hour} h {at.minute:02d}" if lang == "fr" else f"{at:%H:%M}"
    if where is UTC:
        return f"{hhmm} UTC"
    city = str(getattr(where, "key", "") or at.tzname() or "").split("/")[-1].replace("_", " ")
    return f"{hhmm} (heure de {city})" if lang == "fr" else f"{hhmm} ({city} time)"


def format_day(value, lang: str, zone: str | tzinfo | None = None) -> str:
    """'3 déc. 2026' / '3 Dec 2026' (in the audience's zone)."""
    if not isinstance(value, datetime):
        return str(value)
    at = (value.replace(tzinfo=UTC) if value.tzinfo is None else value).astimezone(_zone(zone))
    months = _MONTHS.get(lang, _MONTHS["en"])
    day = "1er" if lang == "fr" and at.day == 1 else str(at.day)
    return f"{day} {months[at.month - 1]} {at.year}"


class TemplateLibrary:
    """Finds and renders templates under ``root`` (default: the repository's ``templates/``)."""

    def __init__(self, root: Path | None = None, timezones: dict[str, str] | None = None):
        self.root = Path(root) if root is not None else DEFAULT_ROOT
        # The audience's zone per language (the brand's; UTC when not given).
        self.timezones = dict(timezones or {})
        self.env = ImmutableSandboxedEnvironment(
            loader=FileSystemLoader(str(self.root)),
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.env.filters["ucfirst"] = _ucfirst
        self.env.filters["gsm7"] = _gsm7
        self.env.filters["lcfirst"] = _lcfirst
        self.env.filters["clock"] = pass_context(
            lambda ctx, value: format_clock(value, ctx.get("_lang", "en"), ctx.get("_zone"),
                                            ctx.get("_now")))
        self.env.filters["day"] = pass_context(
            lambda ctx, value: format_day(value, ctx.get("_lang", "en"), ctx.get("_zone")))

    def candidates(self, kind: str, *, name: str, crisis_type: str, lang: str) -> list[str]:
        """Relative paths tried, most specific first."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        for label, value, pattern in (
            ("name", name, _SAFE_NAME),
            ("crisis_type", crisis_type, _SAFE_PART),
            ("lang", lang, _SAFE_PART),
        ):
            if not pattern.match(value or ""):
                raise ValueError(f"invalid template {label}: {value!r}")
        paths = [f"{kind}/{crisis_type}/{name}.{lang}.j2"]
        if crisis_type != "generic":
            paths.append(f"{kind}/generic/{name}.{lang}.j2")
        return paths

    def zone_for(self, lang: str) -> str:
        return self.timezones.get(lang, "UTC")

    def localise(self, context: dict, lang: str, now: datetime | None = None) -> dict:
        """The context as the template sees it: facts cleaned (no trailing full stop, no
        capital after a colon) and times written for the audience (see module docstring).
        The caller's dict is not changed."""
        zone = self.zone_for(lang)
        ctx = dict(context)
        if isinstance(ctx.get("facts"), dict):
            facts = {k: _fact_text(v) if k in _SENTENCE_FACTS else v
                     for k, v in ctx["facts"].items()}
            # Derived, for wording that must not presuppose a breach ("how this happened").
            facts.setdefault("impact_confirmed",
                             not UNCONFIRMED_IMPACT.search(str(facts.get("impact") or "")))
            for key in ("eta", "next_update"):
                if facts.get(key) is not None:
                    facts[key] = format_clock(facts[key], lang, zone, now)
            ctx["facts"] = facts
        if isinstance(ctx.get("incident"), dict):
            incident = dict(ctx["incident"])
            if incident.get("declared_at") is not None:
                incident["declared_at"] = format_clock(incident["declared_at"], lang, zone, now)
            ctx["incident"] = incident
        ctx.update(_lang=lang, _zone=zone, _now=now)
        return ctx

    def render(
        self, kind: str, *, name: str, crisis_type: str, lang: str, context: dict,
        now: datetime | None = None,
    ) -> Rendered:
        """Render the most specific template; split a leading ``Subject:`` line off the body.
        `now` (optional) is the day times given as "HH:MM UTC" strings fall on."""
        tried = self.candidates(kind, name=name, crisis_type=crisis_type, lang=lang)
        for path in tried:
            try:
                template = self.env.get_template(path)
            except TemplateNotFound:
                continue
            text = template.render(**self.localise(context, lang, now))
            subject = ""
            first, _, rest = text.lstrip().partition("\n")
            if first.startswith("Subject:"):
                subject, text = first[len("Subject:") :].strip(), rest
            body = _clean(text)
            if lang == "fr" and ".sms." not in f".{path.rsplit('/', 1)[-1]}":
                subject, body = french_typography(subject), french_typography(body)
            return Rendered(subject=subject, body=body, template=path)
        raise TemplateMissing(kind, name, crisis_type, lang, tried)

    def available(self) -> list[str]:
        """Every template under root, as sorted relative POSIX paths."""
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*.j2"))


# Realistic facts for the demo brand, per crisis type, language and phase. Used by tests (every
# template must render and lint clean with them) and by docs; they mimic what a tech lead types.
_FACTS = {
    ("outage", "en"): {
        "impact": "about 60% of customers cannot log in or sync files",
        "known": "logins and file sync have been failing since 09:52 UTC in our EU and US regions; "
        "files already stored in Nimbus are not affected",
        "unknown": "why the authentication service stopped responding",
        "cause": "a configuration change to the authentication service that overloaded its database",
        "actions": "our engineers are rolling back the configuration change and restarting the "
        "authentication service region by region",
        "eta": "14:30 UTC",
        "next_update": "11:30 UTC",
    },
    ("outage", "fr"): {
        "impact": "environ 60 % des clients ne peuvent plus se connecter ni synchroniser leurs "
        "fichiers",
        "known": "les connexions et la synchronisation échouent depuis 09:52 UTC dans nos régions "
        "Europe et États-Unis ; les fichiers déjà stockés sur Nimbus ne sont pas touchés",
        "unknown": "la raison pour laquelle le service d'authentification a cessé de répondre",
        "cause": "une modification de configuration du service d'authentification qui a saturé sa "
        "base de données",
        "actions": "nos ingénieurs annulent la modification de configuration et redémarrent le "
        "service d'authentification région par région",
        "eta": "14:30 UTC",
        "next_update": "11:30 UTC",
    },
    ("data_leak", "en"): {
        "impact": "the names and email addresses of about 2,300 customers may have been exposed",
        "known": "an export file was reachable through a misconfigured storage link between 06:10 "
        "and 09:40 UTC; passwords and file contents were not in that export",
        "unknown": "whether anyone other than our own systems downloaded the file",
        "cause": "a storage link created for a data migration was left publicly readable",
        "actions": "we have closed the link, are reviewing access logs with an external security "
        "firm and are preparing to contact every affected customer",
        "eta": "18:00 UTC",
        "next_update": "12:00 UTC",
    },
    ("data_leak", "fr"): {
        "impact": "les noms et adresses e-mail d'environ 2 300 clients ont pu être exposés",
        "known": "un fichier d'export était accessible via un lien de stockage mal configuré entre "
        "06:10 et 09:40 UTC ; il ne contenait ni mots de passe ni contenu de fichiers",
        "unknown": "si une personne extérieure a téléchargé ce fichier",
        "cause": "un lien de stockage créé pour une migration de données était resté public",
        "actions": "nous avons fermé le lien, analysons les journaux d'accès avec un cabinet de "
        "sécurité externe et préparons l'information de chaque client concerné",
        "eta": "18:00 UTC",
        "next_update": "12:00 UTC",
    },
}
# What the tech lead updates once the fix is in (monitoring) and after the incident.
_LATER_FACTS = {
    ("outage", "en", "monitoring"): {
        "impact": "logins and sync work again; about 2% of customers still see delayed sync",
        "actions": "we are watching error rates and sync queues, which are back to normal levels",
    },
    ("outage", "en", "after"): {
        "impact": "for about three hours, about 60% of customers could not log in or sync files",
        "actions": "we rolled back the configuration change, restarted the authentication service "
        "and confirmed that every sync queue has caught up",
    },
    ("outage", "fr", "monitoring"): {
        "impact": "connexion et synchronisation rétablies ; environ 2 % des clients constatent "
        "encore un retard de synchro",
        "actions": "nous surveillons les taux d'erreur et les files de synchronisation, revenus à "
        "leur niveau habituel",
    },
    ("outage", "fr", "after"): {
        "impact": "pendant environ trois heures, environ 60 % des clients n'ont pas pu se connecter "
        "ni synchroniser leurs fichiers",
        "actions": "nous avons annulé la modification de configuration, redémarré le service "
        "d'authentification et vérifié que toutes les files de synchronisation étaient à jour",
    },
    ("data_leak", "en", "monitoring"): {
        "actions": "we have emailed every affected customer and are watching for phishing attempts "
        "that use the exposed addresses",
    },
    ("data_leak", "en", "after"): {
        "impact": "the names and email addresses of 2,312 customers were exposed; no passwords, "
        "payment details or files",
        "actions": "we closed the link, confirmed with an external security firm that the file was "
        "downloaded once from outside, emailed every affected customer and notified the data "
        "protection authority",
    },
    ("data_leak", "fr", "monitoring"): {
        "actions": "nous avons écrit à chaque client concerné et surveillons les tentatives "
        "d'hameçonnage qui utiliseraient les adresses exposées",
    },
    ("data_leak", "fr", "after"): {
        "impact": "les noms et adresses e-mail de 2 312 clients ont été exposés, mais aucun mot de "
        "passe, aucune donnée de paiement ni aucun fichier",
        "actions": "nous avons fermé le lien, établi avec un cabinet de sécurité externe que le "
        "fichier avait été téléchargé une fois depuis l'extérieur, écrit à chaque client concerné "
        "et notifié la CNIL",
    },
}
# While investigating, actions cannot mention the cause; once it is found, what is unknown changes.
_PHASE_FACTS = {
    ("outage", "en", "investigating"): {
        "actions": "our engineers are examining the authentication service and its database and "
        "preparing to move traffic to a standby if needed",
    },
    ("outage", "fr", "investigating"): {
        "actions": "nos ingénieurs examinent le service d'authentification et sa base de données, "
        "et préparent une bascule vers une infrastructure de secours si nécessaire",
    },
    **{
        ("outage", "en", phase): {"unknown": "why the change passed our pre-deployment checks"}
        for phase in ("identified", "fixing", "monitoring")
    },
    **{
        ("outage", "fr", phase): {
            "unknown": "pourquoi la modification a passé nos vérifications avant déploiement"
        }
        for phase in ("identified", "fixing", "monitoring")
    },
}
_TITLES = {
    ("outage", "en"): "Login and sync failures",
    ("outage", "fr"): "Échecs de connexion et de synchronisation",
    ("data_leak", "en"): "Customer contact details exposed",
    ("data_leak", "fr"): "Exposition de coordonnées clients",
}
_MENTIONS = {
    "en": {"author": "@dana_k", "text": "@nimbushq is nimbus down?? can't sync anything"},
    "fr": {"author": "@claire_m", "text": "@nimbushq Nimbus est en panne ? Impossible de synchro"},
}


def example_context(
    lang: str,
    *,
    phase: str = "investigating",
    crisis_type: str = "outage",
    category: str = "outage_complaint",
) -> dict:
    """A realistic context following the contract above.

    Phase decides which facts are known: while investigating the cause and the ETA are ``None``;
    from ``identified`` the cause is known; ``fixing`` and ``monitoring`` carry an ETA.
    Crisis types other than outage/data_leak reuse the outage facts.
    """
    key = (crisis_type if crisis_type in ("outage", "data_leak") else "outage", lang)
    facts = dict(_FACTS[key])
    stage = "monitoring" if phase == "monitoring" else "after"
    if phase in ("monitoring", "resolved", "postmortem"):
        facts.update(_LATER_FACTS.get((*key, stage), {}))
    if phase in ("resolved", "postmortem"):
        facts["unknown"] = ""
    facts.update(_PHASE_FACTS.get((*key, phase), {}))
    if phase == "investigating":
        facts["cause"] = None
    if phase in ("investigating", "identified", "resolved", "postmortem"):
        facts["eta"] = None
    return {
        "brand": {
            "name": "Nimbus",
            "handle": "@nimbushq",
            "status_url": "https://status.nimbus.example",
        },
        "incident": {
            "id": 12,
            "title": _TITLES[key],
            "crisis_type": crisis_type,
            "severity": "major",
            "phase": phase,
            "declared_at": "10:04 UTC",
        },
        "facts": facts,
        "mention": dict(_MENTIONS[lang], category=category),
        "statement_url": None,
    }
