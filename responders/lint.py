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
from responders.lint_patterns import (
    ACRONYMS,
    ETA_CLAIM,
    FIGURE,
    GAP_NOT_ETA,
    IMPACT_HINT,
    MINUTES_PROMISE,
    NEGATION_AFTER,
    NEGATION_BEFORE,
    PAST_BEFORE,
    PERCENT_RE,
    PHRASES,
    SHOUT,
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
    for m in ETA_CLAIM.finditer(text):
        if GAP_NOT_ETA.search(m.group("gap") or "") or _negated(text, m):
            continue
        if PAST_BEFORE.search(text[max(0, m.start() - 25) : m.start()]):
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
    for m in SHOUT.finditer(text):
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
        for m in MINUTES_PROMISE.finditer(text):
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


_BLANK_FACT = re.compile(r"[^\n.:!?]{0,40}\w[^\S\n]?:[^\S\n]*(?:\.|,|;|$)", re.MULTILINE)


def _vague(text, audience, phase, lang, channel) -> list[Finding]:
    out = [
        Finding("vague", "error", "A fact is blank here ('" + m.group(0).strip() + "'); fill "
                "it in on the incident page or remove the line.", m.span())
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
    if wants_impact and not IMPACT_HINT.search(text):
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
        found = {m.group(1).replace(",", ".") for m in PERCENT_RE.finditer(text)}
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
