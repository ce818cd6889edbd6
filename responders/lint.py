"""The message linter: holds every draft to the rules of good crisis communication.

``lint(text, audience=..., phase=..., lang=..., channel=..., facts=..., now=...)`` returns a list of
``Finding`` (rule, severity, message, span). Rule ids:

- ``truth``        no certainty about the cause while investigating (error); say what is not known
                   yet when the cause is unknown (warning)
- ``calm``         no panic words (error); no SHOUTING or repeated "!" (warning)
- ``action``       before resolution, say when the next update comes (error) and what we are doing
                   (warning)
- ``over_promise`` no ETA before the cause is known, earlier than the tech lead's estimate, or already
                   past; no guarantees (error); no minute-precise promises while investigating (warning)
- ``vague``        no "technical problem in progress", no "some users" without a figure, an impact
                   statement, and not a one-liner on long-form channels (warning)
- ``blameless``    post-mortems and board messages never blame a person (error)
- ``length``       fits the channel (``responders.limits.check``; error)

English and French phrasing are both understood: the patterns for ``lang`` are checked together
with the English ones (English jargon such as "root cause" or "ETA" leaks into French messages).
Finding messages are in English. ``facts`` holds raw values (``cause``: str | None, ``eta`` and
``eta_estimate``: datetime | None, ``impact``: str); when it is None the fact-dependent checks are
skipped. ``now`` is passed in, never read from the clock.

``consistency(messages)`` checks that the messages of one update state the same impact percentages
and the same ETA times.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Literal

from responders import limits

Severity = Literal["error", "warning"]
ACTIVE_PHASES = ("investigating", "identified", "fixing", "monitoring")
SHORT_CHANNELS = ("x", "bluesky", "mastodon", "threads", "sms")


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    span: tuple[int, int] | None = None  # character offsets of the offending text, if any

    def as_dict(self) -> dict:
        d = asdict(self)
        d["span"] = list(self.span) if self.span else None
        return d


def _rx(*alternatives: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE)


# Phrasing per language; lint() uses English + the message language. Each value is one regex.
_P = {
    "en": {
        "cause_certain": _rx(
            r"\bcaused by\b",
            r"\bdue to\b",
            r"\bbecause of\b",
            r"\bthe (?:root )?cause (?:is|was|has been)\b",
            r"\broot cause\b",
        ),
        "unknown_ack": _rx(
            r"\b(?:not|isn't|aren't|wasn't|hasn't been) (?:yet )?(?:known|confirmed|clear|identified|established|determined)\b",
            r"\byet to be (?:confirmed|determined|established|identified)\b",
            r"\b(?:do not|don't|does not|doesn't|cannot|can't) (?:yet )?(?:know|say|confirm)\b",
            r"\bno(?:t)? (?:yet )?(?:sure|certain)\b",
            r"\binvestigating\b",
            r"\bunder investigation\b",
            r"\bstill (?:looking|working out|establishing|determining)\b",
            r"\bunknown\b",
            r"\bunclear\b",
        ),
        "panic": _rx(
            r"\bdisasters?\b(?! recovery)",
            r"\bdisastrous\b",
            r"\bcatastroph(?:e|es|ic|ically)\b",
            r"\b(?<!kernel )panic(?:king|ked)?\b",
            r"\bchaos\b",
            r"\bchaotic\b",
            r"\bnightmare\b",
            r"\bmeltdown\b",
            r"\bapocalyp\w*",
            r"\beverything is (?:down|broken)\b",
            r"\bcrisis mode\b",
        ),
        "next_update": _rx(
            r"\bnext update\b",
            r"\b(?:we will|we'll) (?:post|send|share|publish|give)(?: you)? (?:an|another|a further|the next) update\b",
            r"\bfurther updates?\b",
            r"\b(?:we will|we'll) (?:keep you (?:posted|updated|informed)|update you|update this)\b",
            r"\bupdates? (?:at|on)\b",
        ),
        "doing": _rx(
            r"\bwe(?: are|'re| have|'ve| will|'ll)\b",
            r"\bour (?:team|teams|engineers|engineering team|on-call|security team|support team)\b",
            r"\b(?:engineers|the team|the on-call team) (?:are|is|have)\b",
            r"\bwe (?:\w+ )?(?:investigate|restore|roll|fix|monitor|work|contact|review)\w*\b",
        ),
        "guarantee": _rx(
            r"\bguarantee(?:d|s)?\b",
            r"\bdefinitely (?:fixed|resolved|solved|over)\b",
            r"\b(?:will )?never happen again\b",
            r"\bwon't happen again\b",
            r"\b100 ?% (?:fixed|resolved|safe|secure|sure)\b",
            r"\bpermanently (?:fixed|solved|resolved)\b",
            r"\b(?:we|I) promise\b",
        ),
        "vague": _rx(
            r"\btechnical (?:problem|issue|difficult(?:y|ies)|incident)s?(?: (?:in progress|ongoing))?\b",
            r"\b(?:some|certain|a few) (?:users|customers|people)\b",
            r"\bminor (?:glitch|hiccup)\b",
        ),
        "blame": _rx(
            r"\bhuman error\b",
            r"\boperator error\b",
            r"\b(?-i:[A-Z][a-z]+)'s fault\b",
            r"\bfault of\b",
            r"\b(?:his|her|their) fault\b",
            r"\b(?:was|were|been|got|be|get) fired\b",
            r"\bfired? (?:him|her|them|the engineer)\b",
            r"\bto blame\b",
            r"\bblame[sd]?\b",
            r"\bnegligen(?:ce|t)\b",
            r"\bcareless(?:ness)?\b",
            r"\bincompeten(?:ce|t)\b",
            r"\b(?:caused|made|broken|triggered) by (?-i:[A-Z][a-z]+(?: [A-Z][a-z]+)?)\b"
            r"(?!\s*(?:service|cluster|database|API|team))",
        ),
    },
    "fr": {
        "cause_certain": _rx(
            r"\bà cause d(?:e|u|es)\b",
            r"\bdû(?:e|s|es)? (?:à|au|aux)\b",
            r"\bdu(?:e|s|es)? (?:à|au|aux)\b",
            r"\bla cause (?:est|était|a été)\b",
            r"\bcausée? par\b",
            r"\bprovoquée? par\b",
            r"\bcause racine\b",
            r"\ben raison d(?:e|u|es)\b",
        ),
        "unknown_ack": _rx(
            r"\bpas encore\b",
            r"\ben cours d'(?:analyse|investigation|identification)\b",
            r"\ben cours d'examen\b",
            r"\bnous ne (?:savons|connaissons) pas\b",
            r"\bnous ignorons\b",
            r"\b(?:inconnue?s?|indéterminée?s?)\b",
            r"\bnous cherchons\b",
            r"\breste(?:nt)? à (?:déterminer|établir|confirmer)\b",
            r"\bpas (?:encore )?(?:connue?s?|identifiée?s?|confirmée?s?|déterminée?s?|d'estimation)\b",
        ),
        "panic": _rx(
            r"\bpaniqu\w*",
            r"\bchaos\b",
            r"\bchaotique\b",
            r"\bdésastr\w*",
            r"\bcauchemar\w*",
            r"\bcatastroph\w*",
            r"\bapocalyp\w*",
            r"\bdramatique\b",
            r"\bc'est la crise\b",
            r"\btout est (?:en panne|cassé)\b",
        ),
        "next_update": _rx(
            r"\bprochaine mise à jour\b",
            r"\bprochain point\b",
            r"\bnous reviendrons vers vous\b",
            r"\bnous vous tiendrons informée?s?\b",
            r"\bnouvelle mise à jour\b",
            r"\bmises? à jour (?:sur|à|ici)\b",
            r"\bnous (?:publierons|donnerons|ferons) (?:un nouveau point|une nouvelle mise à jour)\b",
        ),
        "doing": _rx(
            r"\bnous (?:y |en |le |la |les |l')?\w+ons\b",
            r"\bnous (?:sommes|avons)\b",
            r"\bnous (?:\w+ )?(?:allons|pouvons)\b",
            r"\bnos (?:équipes|ingénieurs|experts)\b",
            r"\bnotre équipe\b",
            r"\bl'équipe (?:technique )?(?:travaille|est)\b",
        ),
        "guarantee": _rx(
            r"\bgarantiss\w+",
            r"\bgaranti(?:e|s|es)?\b",
            r"\bne se reproduira (?:plus|jamais)\b",
            r"\bplus jamais\b",
            r"\bdéfinitivement (?:réglée?|résolue?|corrigée?)\b",
            r"\b100 ?% (?:résolue?|réglée?|sûre?|sécurisée?)\b",
            r"\bnous promettons\b",
        ),
        "vague": _rx(
            r"\b(?:problème|incident|souci|dysfonctionnement)s? techniques?(?: en cours)?\b",
            r"\bcertain(?:e)?s (?:utilisateurs|utilisatrices|clients|clientes)\b",
            r"\bquelques (?:utilisateurs|clients)\b",
        ),
        "blame": _rx(
            r"\berreur humaine\b",
            r"\bla faute (?:de|d'|à)\b",
            r"\bsa faute\b",
            r"\blicencié(?:e|s|es)?\b",
            r"\b(?:a|ont) été renvoyée?s?\b",
            r"\bnégligence\b",
            r"\bincompéten\w+",
            r"\bresponsable de l'incident\b",
            r"\b(?:causée?|provoquée?) par (?-i:[A-Z][a-zéèï]+(?: [A-Z][a-zéèï]+)?)\b"
            r"(?!\s*(?:service|cluster))",
        ),
    },
}

# Times like 14:30, 14h30, 14 h 30; durations like "30 minutes", "2 hours", "1 h".
_TIME = r"(?:[01]?\d|2[0-3])(?::|\s?h\s?)[0-5]\d"
_DURATION = r"(?:\d+|an|one|a|une|deux|two)\s*(?:min(?:ute)?s?|hours?|heures?|h)\b"
_TIME_RE = re.compile(rf"\b({_TIME})\b")
_PERCENT_RE = re.compile(r"\b(\d+(?:[.,]\d+)?)\s?%")
# An ETA claim: a resolution word followed, in the same sentence, by a clock time or a duration.
_ETA_CLAIM = re.compile(
    r"\b(?:eta|fix(?:ed)?|resolv(?:e|ed)|restor(?:e|ed)|back|recover(?:ed|y)?|(?:expect|estimate)\w*"
    r"|rétabli\w*|résolu\w*|corrigé\w*|retour|remis\w* en service|estim\w+|prévu\w*)\b"
    rf"(?P<gap>[^.\n!?]{{0,50}}?)(?:\b(?:by|before|around|at|until|in|within|for|d'ici|vers|avant|à|pour|dans|sous)|:)\s*"
    rf"(?:(?P<time>{_TIME})|(?P<dur>{_DURATION}))",
    re.IGNORECASE,
)
_GAP_NOT_ETA = re.compile(
    r"update|mise à jour|point|since|depuis|started|commencé|déclaré|\bto you\b|vers vous",
    re.IGNORECASE,
)
# "was restored at 13:05" reports the past; it is not a promise.
_PAST_BEFORE = re.compile(
    r"\b(?:was|were|been|has|have|été|est|sont|avons|a)\s+(?:\w+\s+)?$", re.IGNORECASE
)
_NEGATION_BEFORE = re.compile(
    r"(?:\bnot\b|\bcannot\b|n't\b|\bno\b|\bwhether\b|\bif\b|\bpas\b|\bsi\b|\bignorons\b|\bsans\b)[^.]{0,40}$",
    re.IGNORECASE,
)
_NEGATION_AFTER = re.compile(
    r"^\W{0,3}(?:\w+\W+)?(?:still |yet |currently |encore |toujours )?"
    r"(?:not\b|unknown|unclear|uncertain|pas\b|inconnue?|incertaine?|indéterminée?"
    r"|under investigation|being investigated|en cours d'analyse|à l'étude)",
    re.IGNORECASE,
)
_MINUTES_PROMISE = re.compile(
    r"\b(?:in|within|dans|d'ici|sous|en)\s+(?:\d+|quelques|a few|few)\s*min(?:ute)?s?\b",
    re.IGNORECASE,
)
_IMPACT_HINT = re.compile(
    r"\d\s?%|\b(?:cannot|can't|unable|unavailable|down|slow|delayed|fail\w*|affect\w*|impact\w*|"
    r"exposed|error\w*|outage|disrupt\w*|interrupt\w*|ne peuvent|ne pouvez|impossible|"
    r"indisponible\w*|ralenti\w*|touchée?s?|concernée?s?|échou\w*|exposée?s?|perturb\w*|"
    r"interrompu\w*|panne|erreurs?)\b",
    re.IGNORECASE,
)
_FIGURE = re.compile(
    r"\d\s?%|\b\d[\d,.\s]*\s(?:customers|users|accounts|teams|clients|utilisateurs|comptes)\b"
    r"|\b(?:all|every|tous|toutes|chaque)\b|\b(?:EU|US|Europe|États-Unis|region|région)\b",
    re.IGNORECASE,
)
# Words in capitals; not parts of URLs, handles, hashtags or identifiers.
_SHOUT = re.compile(r"(?<![\w/.@#-])[A-ZÀ-ÖØ-Ý]{4,}(?![\w/@-]|\.\w)")
ACRONYMS = {
    "ETA",
    "API",
    "APIS",
    "SMS",
    "UTC",
    "CEST",
    "CET",
    "CEO",
    "CTO",
    "CFO",
    "CISO",
    "URL",
    "URLS",
    "HTTP",
    "HTTPS",
    "DNS",
    "SSO",
    "SAML",
    "RGPD",
    "GDPR",
    "CNIL",
    "ICO",
    "FAQ",
    "VPN",
    "IOS",
    "AWS",
    "GCP",
    "SLA",
    "SLAS",
    "TLS",
    "SSL",
    "CDN",
    "SAAS",
    "JSON",
    "HIPAA",
    "SOC2",
    "ISO",
    "OAUTH",
    "LDAP",
    "SCIM",
    "IMAP",
    "SMTP",
    "WIFI",
    "NIST",
    "ANSSI",
    "PSSI",
    "DPO",
}


def _patterns(lang: str, key: str) -> list[re.Pattern]:
    langs = ["en"] if lang not in _P or lang == "en" else ["en", lang]
    return [_P[code][key] for code in langs]


def _find(text: str, lang: str, key: str) -> list[re.Match]:
    found = []
    for pattern in _patterns(lang, key):
        found.extend(pattern.finditer(text))
    return sorted(found, key=lambda m: m.start())


def _negated(text: str, m: re.Match) -> bool:
    """True for 'we don't know yet whether it was caused by ...' and 'the cause is not yet known'."""
    before = text[max(0, m.start() - 60) : m.start()]
    after = text[m.end() : m.end() + 50]
    return bool(_NEGATION_BEFORE.search(before) or _NEGATION_AFTER.search(after))


def _quote(text: str, m: re.Match) -> str:
    return text[m.start() : m.end()].strip()


def _parse_clock(value: str) -> tuple[int, int]:
    hours, minutes = re.split(r"\s?[:h]\s?", value.strip(), maxsplit=1)
    return int(hours), int(minutes)


def _parse_duration(value: str) -> timedelta:
    m = re.match(r"(\d+|an|one|a|une|deux|two)\s*(\w+)", value.strip(), re.IGNORECASE)
    amount_word, unit = m.group(1).lower(), m.group(2).lower()
    amount = {"an": 1, "one": 1, "a": 1, "une": 1, "deux": 2, "two": 2}.get(amount_word)
    amount = amount if amount is not None else int(amount_word)
    return timedelta(minutes=amount) if unit.startswith("min") else timedelta(hours=amount)


def _eta_claims(text: str) -> list[re.Match]:
    """ETA promises: a resolution word followed by a time or duration, not negated."""
    claims = []
    for m in _ETA_CLAIM.finditer(text):
        if _GAP_NOT_ETA.search(m.group("gap") or "") or _negated(text, m):
            continue
        if _PAST_BEFORE.search(text[max(0, m.start() - 25) : m.start()]):
            continue
        claims.append(m)
    return claims


def _claim_time(m: re.Match, reference: datetime | None, now: datetime | None) -> datetime | None:
    """The moment an ETA claim promises, on the reference's day (closest occurrence)."""
    if m.group("dur"):
        return now + _parse_duration(m.group("dur")) if now else None
    base = reference or now
    if base is None:
        return None
    hours, minutes = _parse_clock(m.group("time"))
    moment = base.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    # 00:30 stated at 23:50 means tomorrow: pick the occurrence within 12 h of the reference.
    if moment - base > timedelta(hours=12):
        moment -= timedelta(days=1)
    elif base - moment > timedelta(hours=12):
        moment += timedelta(days=1)
    return moment


def _truth(text, audience, phase, lang, facts) -> list[Finding]:
    out = []
    if phase == "investigating":
        for m in _find(text, lang, "cause_certain"):
            if _negated(text, m):
                continue
            out.append(
                Finding(
                    "truth",
                    "error",
                    f"Says the cause is known ('{_quote(text, m)}') while the incident is still "
                    "investigating; say what is known and that the cause is not yet known.",
                    m.span(),
                )
            )
    cause_unknown = facts is not None and not facts.get("cause")
    if (
        cause_unknown
        and audience in ("customers", "team", "ceo")
        and phase in ACTIVE_PHASES
        and not _find(text, lang, "unknown_ack")
    ):
        out.append(
            Finding(
                "truth",
                "warning",
                "The cause is not known yet but the message does not say so; add what is not known "
                "yet (e.g. 'we don't know the cause yet' / 'la cause n'est pas encore connue').",
            )
        )
    return out


def _calm(text, lang) -> list[Finding]:
    out = [
        Finding(
            "calm",
            "error",
            f"Alarm word '{_quote(text, m)}' spreads panic; describe the impact factually instead.",
            m.span(),
        )
        for m in _find(text, lang, "panic")
    ]
    for m in _SHOUT.finditer(text):
        word = m.group(0)
        if word.upper() in ACRONYMS:
            continue
        out.append(
            Finding(
                "calm",
                "warning",
                f"'{word}' is in capitals and reads as shouting; write it in normal case.",
                m.span(),
            )
        )
    bangs = [m for m in re.finditer(r"!", text)]
    if len(bangs) > 1:
        out.append(
            Finding(
                "calm",
                "warning",
                f"{len(bangs)} exclamation marks make the message sound alarmed; keep at most one.",
                (bangs[1].start(), bangs[1].end()),
            )
        )
    return out


def _action(text, phase, lang) -> list[Finding]:
    if phase not in ACTIVE_PHASES:
        return []
    out = []
    if not _find(text, lang, "next_update"):
        out.append(
            Finding(
                "action",
                "error",
                "Does not say when the next update comes; add e.g. 'Next update by 11:30 UTC' / "
                "'Prochaine mise à jour à 11:30 UTC'.",
            )
        )
    if not _find(text, lang, "doing"):
        out.append(
            Finding(
                "action",
                "warning",
                "Does not say what we are doing about it; add e.g. 'our engineers are rolling back "
                "the change' / 'nos équipes ...'.",
            )
        )
    return out


def _over_promise(text, phase, lang, facts, now) -> list[Finding]:
    out = [
        Finding(
            "over_promise",
            "error",
            f"'{_quote(text, m)}' promises more than we can know; state facts and what we are "
            "doing instead.",
            m.span(),
        )
        for m in _find(text, lang, "guarantee")
        if not _negated(text, m)
    ]
    claims = _eta_claims(text)
    if facts is not None:
        estimate = facts.get("eta_estimate")
        eta = facts.get("eta")
        for m in claims:
            quoted = _quote(text, m)
            if not facts.get("cause"):
                out.append(
                    Finding(
                        "over_promise",
                        "error",
                        f"Gives an ETA ('{quoted}') while the cause is not yet known; say the ETA is "
                        "not yet known and give the next update time instead.",
                        m.span(),
                    )
                )
                continue
            if eta is None and estimate is None:
                out.append(
                    Finding(
                        "over_promise",
                        "error",
                        f"Gives an ETA ('{quoted}') but no ETA has been agreed in the incident facts.",
                        m.span(),
                    )
                )
                continue
            promised = _claim_time(m, estimate or eta, now)
            if promised is None:
                continue
            if estimate is not None and promised < estimate:
                out.append(
                    Finding(
                        "over_promise",
                        "error",
                        f"Promises '{quoted}', earlier than the tech lead's estimate "
                        f"({estimate:%H:%M}); never promise faster than engineering does.",
                        m.span(),
                    )
                )
            elif now is not None and promised < now:
                out.append(
                    Finding(
                        "over_promise",
                        "error",
                        f"States the ETA '{quoted}', which has already passed ({now:%H:%M} now); "
                        "give a new estimate or say the ETA is uncertain.",
                        m.span(),
                    )
                )
    if phase == "investigating":
        for m in _MINUTES_PROMISE.finditer(text):
            before = text[max(0, m.start() - 40) : m.start()]
            if re.search(r"update|mise à jour|point", before, re.IGNORECASE):
                continue  # "next update in 30 minutes" is a cadence, not a fix promise
            out.append(
                Finding(
                    "over_promise",
                    "warning",
                    f"'{_quote(text, m)}' is a minute-precise promise while still investigating; "
                    "prefer 'ETA not yet known' with a next update time.",
                    m.span(),
                )
            )
    return out


_BLANK_FACT = re.compile(r"[^\n.:!?]{0,40}\w[^\S\n]?:[^\S\n]*(?:\.|,|;|$)", re.M)


def _vague(text, audience, phase, lang, channel) -> list[Finding]:
    out = [
        Finding("vague", "error", "A fact is blank here ('" + m.group(0).strip() + "'); fill "
                "it in on the incident page or remove the line.", m.span())
        for m in _BLANK_FACT.finditer(text)
        if not re.match(r"\d", text[m.end():m.end() + 1])  # not a time like 10:30
    ]
    has_figure = bool(_FIGURE.search(text))
    for m in _find(text, lang, "vague"):
        quoted = _quote(text, m)
        if (
            re.match(r"(?:some|certain|a few|certain|quelques)", quoted, re.IGNORECASE)
            and has_figure
        ):
            continue
        out.append(
            Finding(
                "vague",
                "warning",
                f"'{quoted}' is vague; say who is affected, how many, and what they cannot do.",
                m.span(),
            )
        )
    wants_impact = (audience == "board") or (
        audience in ("customers", "team", "ceo") and phase in ACTIVE_PHASES
    )
    if wants_impact and not _IMPACT_HINT.search(text):
        out.append(
            Finding(
                "vague",
                "warning",
                "No impact statement; say what customers cannot do and how many are affected.",
            )
        )
    long_form = channel is None or channel.lower() not in SHORT_CHANNELS
    if long_form and len(text.strip()) < 60:
        out.append(
            Finding(
                "vague",
                "warning",
                f"Only {len(text.strip())} characters; a status or notification update needs impact, "
                "actions and the next update time.",
            )
        )
    return out


def _blameless(text, audience, phase, lang) -> list[Finding]:
    if phase != "postmortem" and audience != "board":
        return []
    return [
        Finding(
            "blameless",
            "error",
            f"'{_quote(text, m)}' blames a person; post-mortems are blameless: describe what in the "
            "system or process allowed the failure.",
            m.span(),
        )
        for m in _find(text, lang, "blame")
    ]


def lint(
    text: str,
    *,
    audience: str = "customers",
    phase: str | None = None,
    lang: str = "en",
    channel: str | None = None,
    facts: dict | None = None,
    now: datetime | None = None,
) -> list[Finding]:
    """All findings for one message, in rule order then position (see module docstring)."""
    text = text.replace("\u2019", "'")  # same length, so spans stay valid
    findings = [
        *_truth(text, audience, phase, lang, facts),
        *_calm(text, lang),
        *_action(text, phase, lang),
        *_over_promise(text, phase, lang, facts, now),
        *_vague(text, audience, phase, lang, channel),
        *_blameless(text, audience, phase, lang),
    ]
    if channel:
        problem = limits.check(channel, text)
        if problem:
            findings.append(Finding("length", "error", problem))
    return findings


def _normalise_clock(value: str) -> str:
    hours, minutes = _parse_clock(value)
    return f"{hours:02d}:{minutes:02d}"


def consistency(messages: list[str]) -> list[Finding]:
    """Messages of one update must agree on impact percentages and ETA times.

    Only messages that state a percentage (or an ETA) are compared, since a short SMS may leave
    the figure out; but two messages stating different figures is an error.
    """
    out = []
    percents = {}
    etas = {}
    for i, text in enumerate(messages):
        found = {m.group(1).replace(",", ".") for m in _PERCENT_RE.finditer(text)}
        if found:
            percents[i] = found
        times = {_normalise_clock(m.group("time")) for m in _eta_claims(text) if m.group("time")}
        if times:
            etas[i] = times
    for label, sets, unit in (("impact figures", percents, "%"), ("ETA times", etas, "")):
        distinct = {frozenset(v) for v in sets.values()}
        if len(distinct) > 1:
            detail = "; ".join(
                f"message {i + 1}: {', '.join(sorted(v))}{unit}" for i, v in sorted(sets.items())
            )
            out.append(
                Finding(
                    "consistency",
                    "error",
                    f"Messages of the same update state different {label} ({detail}); "
                    "every audience must hear the same facts.",
                )
            )
    return out
