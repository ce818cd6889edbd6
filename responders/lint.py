"""The message linter: holds every draft to the rules of good crisis communication.

``lint(text, audience=..., phase=..., lang=..., channel=..., facts=..., now=..., tz=...,
ui_lang=...)`` returns a list of ``Finding`` (rule, severity, message, span). Rule ids:

- ``truth``        no certainty about the cause while investigating (error); say what is not known
                   yet when the cause is unknown (warning)
- ``calm``         no panic words (error); no SHOUTING or repeated "!" (warning); acronyms
                   (IBAN, SEPA, NIST: four or five capitals that are not a common word) pass
- ``action``       before resolution, say when the next update comes (error) and what we are doing
                   (warning); "Next sync in 30 min", "Point dans 30 min", "prochain point à
                   16h" are next updates; "Failover to the secondary in progress", "Plan: ..."
                   are actions
- ``over_promise`` no ETA before the cause is known, earlier than the tech lead's estimate, or already
                   past; no guarantees (error); no minute-precise promises while investigating (warning)
- ``stale``        a next-update time at or before ``now`` (the time the message is sent) (error)
- ``vague``        no "technical problem in progress", no "some users" without a figure, an impact
                   statement, and not a one-liner on long-form channels (warning)
- ``blameless``    post-mortems and board messages never blame a person (error)
- ``blame``        no other message blames a person, a team or a supplier (error)
- ``denial``       while an incident is open, no denial or minimisation (error)
- ``mixed_language`` a sentence in the other language (error)
- ``translate``    a fact (``facts["untranslated"]``) has no version in the message language (error)
- ``length``       fits the channel (``responders.limits.check``; error)

English and French phrasing are both understood: the patterns for ``lang`` are checked together
with the English ones (English jargon such as "root cause" or "ETA" leaks into French messages).
Finding messages are in ``ui_lang`` (default English; ``responders.lint_messages``). ``facts``
holds raw values (``cause``: str | None, ``eta`` and ``eta_estimate``: datetime | None,
``impact``: str, optionally ``untranslated``: list of field names); when it is None the
fact-dependent checks are skipped. ``now`` is passed in, never read from the clock; naive
datetimes are UTC. Clock times in the message are read in ``tz`` (a zone name or tzinfo; the
brand's zone for that language, default UTC) unless they say UTC.

``consistency(messages)`` checks that the messages of one update state the same impact percentages
and the same ETA times.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from responders import limits
from responders.lint_messages import FIELD_NAMES, LANG_NAMES, message
from responders.lint_patterns import (
    ACRONYMS,
    BLAME_ANY,
    CLOCK,
    DENIAL,
    DURATION_BEFORE,
    ENGLISH_CONTRACTION,
    ETA_CLAIM,
    FIGURE,
    FRENCH_ELISION,
    FRENCH_LETTERS,
    GAP_NOT_ETA,
    IMPACT_HINT,
    MINUTES_PROMISE,
    NEGATION_AFTER,
    NEGATION_BEFORE,
    PAST_BEFORE,
    PERCENT_RE,
    PHRASES,
    PRESUPPOSED_BREACH,
    SENTENCE_END,
    SHOUT,
    SHOUTED_WORDS,
    STOPWORDS,
    UNCONFIRMED_IMPACT,
)

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


def zone(tz: str | tzinfo | None) -> tzinfo:
    """A tzinfo from a zone name (``Europe/Paris``), a tzinfo, or None (UTC). ValueError for
    an unknown name."""
    if tz is None or tz == "" or tz == "UTC":
        return UTC
    if isinstance(tz, tzinfo):
        return tz
    try:
        return ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz!r}") from exc


_CITY_ZONES: dict[str, str] = {}


def label_zone(label: str | None, default: tzinfo) -> tzinfo:
    """The zone a time's label names: ' UTC' -> UTC; ' (heure de Paris)' / ' (Paris time)'
    -> Europe/Paris; no label -> `default`."""
    text = (label or "").strip()
    if not text:
        return default
    if text.upper() in ("UTC", "GMT", "Z"):
        return UTC
    city = re.sub(r"^\((?:heure de |heure d')?|(?: time)?\)$", "", text).strip()
    if not _CITY_ZONES:
        from zoneinfo import available_timezones

        for name in available_timezones():
            _CITY_ZONES.setdefault(name.split("/")[-1].replace("_", " ").lower(), name)
    name = _CITY_ZONES.get(city.lower())
    return ZoneInfo(name) if name else default


def _utc(at: datetime | None) -> datetime | None:
    """Aware UTC; a naive datetime is UTC."""
    if at is None:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _patterns(lang: str, key: str) -> list[re.Pattern]:
    langs = ["en"] if lang not in PHRASES or lang == "en" else ["en", lang]
    return [PHRASES[code][key] for code in langs]


def _find(text: str, lang: str, key: str) -> list[re.Match]:
    found = []
    for pattern in _patterns(lang, key):
        found.extend(pattern.finditer(text))
    return sorted(found, key=lambda m: m.start())


def _negated(text: str, m: re.Match) -> bool:
    """True for 'we don't know yet whether it was caused by ...' and 'the cause is not yet known'."""
    before = text[max(0, m.start() - 60) : m.start()]
    after = text[m.end() : m.end() + 50]
    return bool(NEGATION_BEFORE.search(before) or NEGATION_AFTER.search(after))


def _quote(text: str, m: re.Match) -> str:
    return text[m.start() : m.end()].strip()


def _parse_clock(value: str) -> tuple[int, int]:
    m = CLOCK.search(value)
    return int(m.group("h")), int(m.group("m") or 0)


def _parse_duration(value: str) -> timedelta:
    m = re.match(r"(\d+|an|one|a|une|deux|two)\s*(\w+)", value.strip(), re.IGNORECASE)
    amount_word, unit = m.group(1).lower(), m.group(2).lower()
    amount = {"an": 1, "one": 1, "a": 1, "une": 1, "deux": 2, "two": 2}.get(amount_word)
    amount = amount if amount is not None else int(amount_word)
    return timedelta(minutes=amount) if unit.startswith("min") else timedelta(hours=amount)


def _eta_claims(text: str) -> list[re.Match]:
    """ETA promises: a resolution word followed by a time or duration, not negated."""
    claims = []
    for m in ETA_CLAIM.finditer(text):
        if GAP_NOT_ETA.search(m.group("gap") or "") or _negated(text, m):
            continue
        if PAST_BEFORE.search(text[max(0, m.start() - 25) : m.start()]):
            continue
        if GAP_NOT_ETA.search(text[m.end() : m.end() + 25].split(".")[0]):
            continue  # "back in 30 minutes with an update" announces an update, not a fix
        claims.append(m)
    return claims


def _at_clock(hours: int, minutes: int, base: datetime, where: tzinfo) -> datetime:
    """The moment hours:minutes (read in `where`) closest to `base` (within 12 h), in UTC."""
    local = base.astimezone(where)
    moment = local.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    # 00:30 stated at 23:50 means tomorrow: pick the occurrence within 12 h of the reference.
    if moment - local > timedelta(hours=12):
        moment -= timedelta(days=1)
    elif local - moment > timedelta(hours=12):
        moment += timedelta(days=1)
    return moment.astimezone(UTC)


def _claim_time(m: re.Match, reference, now, where: tzinfo) -> datetime | None:
    """The moment an ETA claim promises, on the reference's day (closest occurrence)."""
    if m.group("dur"):
        return now + _parse_duration(m.group("dur")) if now else None
    base = reference or now
    if base is None:
        return None
    hours, minutes = _parse_clock(m.group("time"))
    label = CLOCK.match(m.string, m.start("time"))
    stated_in = label_zone(label.group("zone") if label else None, where)
    return _at_clock(hours, minutes, base, stated_in)


def _hhmm(at: datetime, where: tzinfo, ui: str = "en") -> str:
    local = at.astimezone(where)
    clock = f"{local.hour} h {local:%M}" if ui == "fr" else f"{local:%H:%M}"
    return clock + (" UTC" if where is UTC else f" {local.tzname() or ''}".rstrip())


def _truth(text, audience, phase, lang, facts, ui) -> list[Finding]:
    out = []
    if phase == "investigating":
        for m in _find(text, lang, "cause_certain"):
            if _negated(text, m):
                continue
            out.append(Finding("truth", "error",
                               message("truth.certain", ui, quote=_quote(text, m)), m.span()))
    cause_unknown = facts is not None and not facts.get("cause")
    if (
        cause_unknown
        and audience in ("customers", "team", "ceo")
        and phase in ACTIVE_PHASES
        and not _find(text, lang, "unknown_ack")
    ):
        out.append(Finding("truth", "warning", message("truth.unknown", ui)))
    if facts is not None and not facts.get("cause") and impact_unconfirmed(facts.get("impact")):
        for m in PRESUPPOSED_BREACH.finditer(text):
            out.append(Finding("truth", "error", message("truth.breach", ui,
                                                         quote=_quote(text, m)), m.span()))
    return out


def impact_unconfirmed(impact: str | None) -> bool:
    """True when the impact fact says nothing is confirmed yet ("may have been exposed")."""
    return bool(impact) and bool(UNCONFIRMED_IMPACT.search(str(impact)))


def _calm(text, lang, ui) -> list[Finding]:
    out = [
        Finding("calm", "error", message("calm.panic", ui, quote=_quote(text, m)), m.span())
        for m in _find(text, lang, "panic")
    ]
    for m in SHOUT.finditer(text):
        word = m.group(0)
        if word.upper() in ACRONYMS:
            continue
        if len(word) <= 5 and word.upper() not in SHOUTED_WORDS:
            continue  # IBAN, SEPA, NIST: a short word in capitals is an acronym
        out.append(Finding("calm", "warning", message("calm.shout", ui, quote=word), m.span()))
    bangs = [m for m in re.finditer(r"!", text)]
    if len(bangs) > 1:
        out.append(Finding("calm", "warning", message("calm.bangs", ui, count=len(bangs)),
                           (bangs[1].start(), bangs[1].end())))
    return out


def _action(text, phase, lang, ui) -> list[Finding]:
    if phase not in ACTIVE_PHASES:
        return []
    out = []
    if not _find(text, lang, "next_update"):
        out.append(Finding("action", "error", message("action.next_update", ui)))
    if not _find(text, lang, "doing"):
        out.append(Finding("action", "warning", message("action.doing", ui)))
    return out


def _over_promise(text, phase, lang, facts, now, where, ui) -> list[Finding]:
    out = [
        Finding("over_promise", "error",
                message("over_promise.guarantee", ui, quote=_quote(text, m)), m.span())
        for m in _find(text, lang, "guarantee")
        if not _negated(text, m)
    ]
    claims = _eta_claims(text)
    if facts is not None:
        estimate = _utc(facts.get("eta_estimate"))
        eta = _utc(facts.get("eta"))
        for m in claims:
            quoted = _quote(text, m)
            if not facts.get("cause"):
                out.append(Finding("over_promise", "error",
                                   message("over_promise.no_cause", ui, quote=quoted), m.span()))
                continue
            if eta is None and estimate is None:
                out.append(Finding("over_promise", "error",
                                   message("over_promise.no_eta", ui, quote=quoted), m.span()))
                continue
            promised = _claim_time(m, estimate or eta, now, where)
            if promised is None:
                continue
            if estimate is not None and promised < estimate:
                out.append(Finding("over_promise", "error", message(
                    "over_promise.early", ui, quote=quoted, estimate=_hhmm(estimate, where, ui)),
                    m.span()))
            elif now is not None and promised < now:
                out.append(Finding("over_promise", "error", message(
                    "over_promise.past", ui, quote=quoted, now=_hhmm(now, where, ui)), m.span()))
    if phase == "investigating":
        for m in MINUTES_PROMISE.finditer(text):
            before = text[max(0, m.start() - 40) : m.start()]
            if re.search(r"update|mise à jour|point|sync|check-?in|bilan|briefing", before,
                         re.IGNORECASE):
                continue  # "next update in 30 minutes" is a cadence, not a fix promise
            out.append(Finding("over_promise", "warning",
                               message("over_promise.minutes", ui, quote=_quote(text, m)),
                               m.span()))
    return out


def next_update_times(text: str, lang: str, where: tzinfo, now: datetime
                      ) -> list[tuple[datetime, tuple[int, int]]]:
    """Each next-update promise with a clock time, as (moment in UTC, span of the time)."""
    out = []
    for m in _find(text, lang, "next_update"):
        window = text[m.end() : m.end() + 60]
        end = SENTENCE_END.search(window)
        window = window[: end.start()] if end else window
        for t in CLOCK.finditer(window):
            if DURATION_BEFORE.search(window[: t.start()]):
                break  # "next update in 1 h" is a duration from now, never stale
            hours, minutes = int(t.group("h")), int(t.group("m") or 0)
            stated_in = label_zone(t.group("zone"), where)
            span = (m.end() + t.start(), m.end() + t.end())
            out.append((_at_clock(hours, minutes, now, stated_in), span))
            break
    return out


def _stale(text, phase, lang, now, where, ui) -> list[Finding]:
    if now is None or phase in ("resolved", "postmortem"):
        return []
    out = []
    seen = set()
    for promised, span in next_update_times(text, lang, where, now):
        if span in seen:
            continue
        seen.add(span)
        if promised <= now:
            out.append(Finding("stale", "error", message(
                "stale", ui, promised=text[span[0]:span[1]].strip(), now=_hhmm(now, where, ui)),
                span))
    return out


_BLANK_FACT = re.compile(r"[^\n.:!?]{0,40}\w[^\S\n]?:[^\S\n]*(?:\.|,|;|$)", re.MULTILINE)


def _vague(text, audience, phase, lang, channel, ui) -> list[Finding]:
    out = [
        Finding("vague", "error", message("vague.blank", ui, quote=m.group(0).strip()), m.span())
        for m in _BLANK_FACT.finditer(text)
        if not re.match(r"\d", text[m.end():m.end() + 1])  # not a time like 10:30
    ]
    has_figure = bool(FIGURE.search(text))
    for m in _find(text, lang, "vague"):
        quoted = _quote(text, m)
        if (
            re.match(r"(?:some|certain|a few|certain|quelques)", quoted, re.IGNORECASE)
            and has_figure
        ):
            continue
        out.append(Finding("vague", "warning", message("vague.phrase", ui, quote=quoted),
                           m.span()))
    wants_impact = (audience == "board") or (
        audience in ("customers", "team", "ceo") and phase in ACTIVE_PHASES
    )
    if wants_impact and not IMPACT_HINT.search(text):
        out.append(Finding("vague", "warning", message("vague.impact", ui)))
    long_form = channel is None or channel.lower() not in SHORT_CHANNELS
    if long_form and len(text.strip()) < 60:
        out.append(Finding("vague", "warning",
                           message("vague.short", ui, count=len(text.strip()))))
    return out


def _blame(text, audience, phase, lang, ui) -> list[Finding]:
    """Post-mortems and board messages: `blameless`; every other message: `blame`."""
    if phase == "postmortem" or audience == "board":
        return [
            Finding("blameless", "error", message("blameless", ui, quote=_quote(text, m)),
                    m.span())
            for m in _find(text, lang, "blame")
        ]
    codes = ["en"] if lang not in BLAME_ANY or lang == "en" else ["en", lang]
    found = sorted((m for code in codes for m in BLAME_ANY[code].finditer(text)),
                   key=lambda m: m.start())
    out, last_end = [], -1
    for m in found:
        if m.start() < last_end or not _quote(text, m):
            continue
        last_end = m.end()
        start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
        out.append(Finding("blame", "error", message("blame", ui, quote=_quote(text, m)),
                           (start, m.end())))
    return out


def _denial(text, phase, lang, ui) -> list[Finding]:
    if phase not in ACTIVE_PHASES:
        return []
    codes = ["en"] if lang not in DENIAL or lang == "en" else ["en", lang]
    out = []
    for m in sorted((m for c in codes for m in DENIAL[c].finditer(text)), key=lambda m: m.start()):
        before = text[max(0, m.start() - 30) : m.start()]
        if re.search(r"\b(?:not|n't|pas|ne|whether|si|until|jusqu)\b[^.]{0,25}$", before,
                     re.IGNORECASE):
            continue  # "we cannot yet say there is no impact" is honesty, not denial
        out.append(Finding("denial", "error", message("denial", ui, quote=_quote(text, m)),
                           m.span()))
    return out


_SEGMENT = re.compile(r"[.!?;]+(?=\s|$)|:\s|\n|\s[–—-]\s")
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#][\w.-]+|«[^»]*»|\"[^\"]*\"|“[^”]*”|\S+@\S+")
_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿœŒ]+(?:'[A-Za-zÀ-ÖØ-öø-ÿ]+)?")


def _language_votes(segment: str) -> tuple[int, int, int]:
    """(English markers, French markers, words) in one sentence."""
    en = fr = 0
    words = _WORD.findall(_NOISE.sub(" ", segment))
    for word in words:
        low = word.lower()
        if FRENCH_ELISION.match(low):
            fr += 1
            low = low.split("'", 1)[1]
        elif ENGLISH_CONTRACTION.search(low):
            en += 1
            continue
        if FRENCH_LETTERS.search(low) or low in STOPWORDS["fr"]:
            fr += 1
        elif low in STOPWORDS["en"]:
            en += 1
    return en, fr, len(words)


def _mixed_language(text, lang, ui) -> list[Finding]:
    if lang not in ("en", "fr"):
        return []
    other = "fr" if lang == "en" else "en"
    out, start = [], 0
    bounds = [(m.start(), m.end()) for m in _SEGMENT.finditer(text)] + [(len(text), len(text))]
    for cut, nxt in bounds:
        segment = text[start:cut]
        offset = start + (len(segment) - len(segment.lstrip()))
        segment = segment.strip()
        start = nxt
        if not segment:
            continue
        en, fr, words = _language_votes(segment)
        theirs, ours = (fr, en) if other == "fr" else (en, fr)
        if words >= 3 and theirs >= 2 and theirs > 2 * ours:
            out.append(Finding("mixed_language", "error", message(
                "mixed_language", ui, quote=segment, other=LANG_NAMES[ui if ui in LANG_NAMES
                                                                      else "en"][other],
                lang=LANG_NAMES[ui if ui in LANG_NAMES else "en"][lang]),
                (offset, offset + len(segment))))
    return out


def _translate(facts, lang, ui) -> list[Finding]:
    missing = [f for f in (facts or {}).get("untranslated") or () if f]
    if lang == "en" or not missing:
        return []
    names = FIELD_NAMES.get(ui, FIELD_NAMES["en"])
    fields = ", ".join(names.get(f, f) for f in missing)
    many = len(missing) > 1
    lang_name = LANG_NAMES.get(ui, LANG_NAMES["en"]).get(lang, lang)
    return [Finding("translate", "error", message(
        "translate", ui, fields=fields, lang=lang_name, verb="have" if many else "has",
        pronoun="they" if many else "it", pronoun2="them" if many else "it"))]


# The words each contact segment is held to (responders.contacts.SEGMENTS): people inside
# hear what the team or management hear; outside organisations are told the facts, the
# business impact and the plan, like management; key accounts and the press, like customers.
SEGMENT_AUDIENCE = {"staff": "team", "on-call": "team", "management": "ceo",
                    "partners": "ceo", "investors": "ceo", "regulators": "ceo",
                    "key-accounts": "customers", "press": "customers"}


def lint(
    text: str,
    *,
    audience: str = "customers",
    phase: str | None = None,
    lang: str = "en",
    channel: str | None = None,
    facts: dict | None = None,
    now: datetime | None = None,
    tz: str | tzinfo | None = None,
    ui_lang: str = "en",
) -> list[Finding]:
    """All findings for one message, in rule order then position (see module docstring).
    `audience` may also be a contact segment: it is held to its audience's rules
    (`SEGMENT_AUDIENCE`: staff as the team, partners and investors as management...)."""
    audience = SEGMENT_AUDIENCE.get(audience, audience)
    text = text.replace("\u2019", "'")  # same length, so spans stay valid
    where, now = zone(tz), _utc(now)
    ui = ui_lang if ui_lang in ("en", "fr") else "en"
    findings = [
        *_translate(facts, lang, ui),
        *_truth(text, audience, phase, lang, facts, ui),
        *_calm(text, lang, ui),
        *_action(text, phase, lang, ui),
        *_stale(text, phase, lang, now, where, ui),
        *_over_promise(text, phase, lang, facts, now, where, ui),
        *_vague(text, audience, phase, lang, channel, ui),
        *_blame(text, audience, phase, lang, ui),
        *_denial(text, phase, lang, ui),
        *_mixed_language(text, lang, ui),
    ]
    if channel:
        problem = limits.check(channel, text)
        if problem:
            findings.append(Finding("length", "error", problem))
    return findings


def _normalise_clock(value: str) -> str:
    hours, minutes = _parse_clock(value)
    return f"{hours:02d}:{minutes:02d}"


def _eta_utc(m: re.Match, now: datetime | None) -> str:
    """An ETA claim's clock time in UTC when it names its zone ('15 h 30 (heure de Paris)'),
    on `now`'s day (the offset depends on it), else as written."""
    label = CLOCK.match(m.string, m.start("time"))
    where = label_zone(label.group("zone") if label else None, UTC)
    if where is UTC:
        return _normalise_clock(m.group("time"))
    hours, minutes = _parse_clock(m.group("time"))
    base = _utc(now) or datetime(2000, 1, 1, 12, tzinfo=UTC)
    return f"{_at_clock(hours, minutes, base, where):%H:%M}"


def consistency(messages: list[str], *, ui_lang: str = "en",
                now: datetime | None = None) -> list[Finding]:
    """Messages of one update must agree on impact percentages and ETA times (compared in
    UTC when a message names its zone; `now` gives the day for the offset).

    Only messages that state a percentage (or an ETA) are compared, since a short SMS may leave
    the figure out; but two messages stating different figures is an error.
    """
    out = []
    percents = {}
    etas = {}
    for i, text in enumerate(messages):
        found = {m.group(1).replace(",", ".") for m in PERCENT_RE.finditer(text)}
        if found:
            percents[i] = found
        times = {_eta_utc(m, now) for m in _eta_claims(text) if m.group("time")}
        if times:
            etas[i] = times
    labels = {"en": ("impact figures", "ETA times"),
              "fr": ("chiffres d'impact", "heures de rétablissement")}[
        ui_lang if ui_lang == "fr" else "en"]
    for label, sets, unit in ((labels[0], percents, "%"), (labels[1], etas, "")):
        distinct = {frozenset(v) for v in sets.values()}
        if len(distinct) > 1:
            detail = "; ".join(
                f"message {i + 1}: {', '.join(sorted(v))}{unit}" for i, v in sorted(sets.items())
            )
            out.append(Finding("consistency", "error",
                               message("consistency", ui_lang, label=label, detail=detail)))
    return out
