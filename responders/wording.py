"""Sentences the responders write or raise for people to read, kept as a key and its
parameters so each reader sees them in their own language (issue 20).

A `Wording` is an English template, which is also its message key (the gettext msgid the
cockpit's French catalogue translates, `dashboard/locale/fr/stored.po`), plus parameters:

    wording("{before} -> {to}", before=word("phase", "investigating"), to=word("phase", "fixing"))

- `str(w)` / `w.english` is the English sentence: what was always stored and logged, so
  the English text of a timeline row, an error or a CLI line does not change.
- `w.as_json()` is what the store keeps beside that text (`timeline.detail_key` and
  `timeline.detail_params`): the dashboard renders it again in the reader's language
  (`dashboard.stored_texts`). Rows written before have no key and show their text.
- A parameter is plain data (a title, a count, a draft id: shown as is), a `word(vocabulary,
  value)` (a phase, a component state, an audience: the dashboard shows its label in the
  reader's language; English shows the value as the responders always wrote it), a
  `Localized` name (a status-page component, named per language in the configuration), a
  list of those (joined by commas), a nested `Wording` (a stale reason in a refusal), or a
  `moment(at)` (a time inside the sentence: English writes it "10:30 UTC" as the responders
  always did, the dashboard in the reader's time zone, "11:30 CET"; never put " UTC" in a key).

`WordedError` is the base of the refusals the dashboard shows (`ApprovalError`,
`TransitionError`, `OutboxError`, `CellError`, `BroadcastError`, `LessonError`): `.key`, `.params` and `.wording` carry the
message, `str()` stays English.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from store.models import TimelineRow

VOCABULARIES = ("phase", "state", "severity", "crisis_type", "audience", "channel", "lang",
                "role", "status", "fact", "cell_role", "page_kind", "update_state", "update_kind",
                "clock_state", "key_task", "segment")


@dataclass(frozen=True)
class Word:
    """A value from a closed vocabulary (`VOCABULARIES`): "fixing" as a phase."""

    vocabulary: str
    value: str
    english: str | None = None  # the English the responders wrote, when not `value` itself

    def __post_init__(self) -> None:
        if self.vocabulary not in VOCABULARIES:
            raise ValueError(f"unknown vocabulary {self.vocabulary!r}")


@dataclass(frozen=True)
class Localized:
    """A name the configuration gives per language (a status-page component's
    {"en": "File sync", "fr": "Synchronisation des fichiers"}); `fallback` when a language
    has none (the component's key)."""

    names: Mapping[str, str]
    fallback: str

    def in_lang(self, lang: str) -> str:
        return self.names.get(lang) or self.names.get("en") or self.fallback


TIME_AND_DAY = "%H:%M UTC, %d %b"  # a `Moment`'s English in the reminders: "10:30 UTC, 11 Mar"


@dataclass(frozen=True)
class Moment:
    """A time inside a sentence, naive UTC as the store keeps it (an aware one is moved to
    UTC). The English is `english` (a strftime pattern; by default "10:30 UTC", with `date`
    "2026-03-11 10:30 UTC"); the cockpit shows it in the reader's zone, with the day when
    `date` ("11:30 CET", "11 mars 11:30 CET": `dashboard.i18n.clock_text`)."""

    at: datetime
    date: bool = False
    english: str | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is not None:
            object.__setattr__(self, "at", self.at.astimezone(UTC).replace(tzinfo=None))

    def in_english(self) -> str:
        return self.at.strftime(self.english or ("%Y-%m-%d %H:%M UTC" if self.date
                                                 else "%H:%M UTC"))


@dataclass(frozen=True)
class Wording:
    """An English template (the key) and its parameters; see the module docstring."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def english(self) -> str:
        if not self.params:  # a plain sentence: its braces (if any) are text
            return self.key
        return self.key.format(**{name: _english(v) for name, v in self.params.items()})

    def __str__(self) -> str:
        return self.english

    def as_json(self) -> dict:
        """{"key": ..., "params": {...}}: JSON types only (words and nested wordings as
        tagged objects), what `from_json` reads back."""
        return {"key": self.key, "params": {n: _to_json(v) for n, v in self.params.items()}}

    @classmethod
    def from_json(cls, data: Mapping) -> Wording:
        return cls(str(data["key"]), {n: _from_json(v) for n, v in
                                      (data.get("params") or {}).items()})


def wording(key: str, **params: Any) -> Wording:
    """`Wording(key, params)`, the spelling the catalogue test looks for."""
    return Wording(key, params)


def word(vocabulary: str, value: Any, english: str | None = None) -> Word:
    """`value` of `vocabulary`; the English text shows `english` when given (a label such
    as "Incident commander" for "commander"), else the value."""
    return Word(vocabulary, str(value), english)


def moment(at: datetime, date: bool = False, english: str | None = None) -> Moment:
    """`at` as a time in a sentence (see `Moment`)."""
    return Moment(at, date, english)


def words(vocabulary: str, values) -> list[Word]:
    """Several words of one vocabulary, shown joined by commas."""
    return [word(vocabulary, v) for v in values]


def timeline_row(incident_id: int, at: datetime, actor: str, kind: str,
                 detail: Wording | str) -> TimelineRow:
    """A timeline event: its English `detail`, and its key and parameters when it is a
    `Wording` (a plain string is stored as text only, shown as written)."""
    if isinstance(detail, Wording):
        return TimelineRow(incident_id=incident_id, at=at, actor=actor, kind=kind,
                           detail=detail.english, detail_key=detail.key,
                           detail_params=detail.as_json()["params"])
    return TimelineRow(incident_id=incident_id, at=at, actor=actor, kind=kind, detail=detail)


class WordedError(Exception):
    """An error whose message is a `Wording`: `raise SomeError(wording("...{x}", x=1))`,
    or a plain English string (its own key, no parameters)."""

    def __init__(self, message: Wording | str):
        self.wording = message if isinstance(message, Wording) else Wording(str(message))
        super().__init__(self.wording.english)

    @property
    def key(self) -> str:
        return self.wording.key

    @property
    def params(self) -> Mapping[str, Any]:
        return self.wording.params


def _english(value: Any) -> str:
    if isinstance(value, Moment):
        return value.in_english()
    if isinstance(value, Localized):
        return value.in_lang("en")
    if isinstance(value, Word):
        return value.english or value.value
    if isinstance(value, Wording):
        return value.english
    if isinstance(value, list | tuple):
        return ", ".join(_english(v) for v in value)
    return str(value)


def _to_json(value: Any) -> Any:
    if isinstance(value, Moment):
        return {"moment": value.at.isoformat(), "date": value.date,
                **({"english": value.english} if value.english else {})}
    if isinstance(value, Localized):
        return {"names": dict(value.names), "fallback": value.fallback}
    if isinstance(value, Word):
        return {"word": value.vocabulary, "value": value.value,
                **({"english": value.english} if value.english else {})}
    if isinstance(value, Wording):
        return value.as_json()
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # a datetime or an enum: its text, as the English shows it


def _from_json(value: Any) -> Any:
    if isinstance(value, dict) and "moment" in value:
        return Moment(datetime.fromisoformat(value["moment"]), bool(value.get("date")),
                      value.get("english"))
    if isinstance(value, dict) and "names" in value:
        return Localized(value["names"], value.get("fallback", ""))
    if isinstance(value, dict) and "word" in value:
        return Word(value["word"], value["value"], value.get("english"))
    if isinstance(value, dict) and "key" in value:
        return Wording.from_json(value)
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value
