"""A risk's prepared messages, rendered and linted before they are needed (issue 19).

Each prepared message is (audience, phase) in each of the risk's languages: the template
the drafting stage would pick for an incident of the risk's crisis type (type-specific,
else generic), rendered with the example facts of `responders.templates.example_context`
and held to the message linter exactly as a draft would be (same audience, phase, channel
and facts). The example facts are those of an outage or a data leak (other crisis types
borrow the outage's), so the preview shows wording, not the next incident's facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from responders.lint import Finding, lint
from responders.templates import TemplateLibrary, TemplateMissing, example_context

# (template kind, template name, linter audience, channel) per prepared-message audience.
ROUTES = {
    "status": ("status", "{phase}", "customers", None),
    "team": ("notify", "team.{phase}", "team", None),
    "ceo": ("notify", "ceo.{phase}", "ceo", None),
    "customers": ("notify", "customers.{phase}", "customers", "email"),
    "sms": ("notify", "sms.{phase}", "customers", "sms"),
}
_HHMM = re.compile(r"^(\d{1,2}):(\d{2}) UTC$")


@dataclass(frozen=True)
class Prepared:
    """One prepared message in one language: the template used (or None when missing), its
    rendering with the example facts, and the linter's findings."""

    audience: str
    phase: str
    lang: str
    template: str | None
    subject: str = ""
    body: str = ""
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    missing: str = ""  # why no template was found
    tried: tuple[str, ...] = ()  # the template paths looked for, when none was found

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]


def example_now(day: datetime) -> datetime:
    """The moment the example facts describe (declared 10:04 UTC, next update 11:30 UTC):
    10:10 UTC on `day`'s date, so the linter reads their times as it would live."""
    return day.replace(hour=10, minute=10, second=0, microsecond=0, tzinfo=None)


def _at(value, now: datetime) -> datetime | None:
    m = _HHMM.match(value or "") if isinstance(value, str) else None
    if not m:
        return None
    return now.replace(hour=int(m.group(1)), minute=int(m.group(2)))


def lint_facts(ctx: dict, now: datetime) -> dict:
    """The linter's view of the example facts (raw values, ETA as a time)."""
    facts = ctx["facts"]
    eta = _at(facts.get("eta"), now)
    return {"cause": facts.get("cause"), "eta": eta, "eta_estimate": eta,
            "impact": facts.get("impact") or ""}


def prepare(library: TemplateLibrary, crisis_type: str, audience: str, phase: str,
            lang: str, now: datetime, ui_lang: str = "en") -> Prepared:
    """Render and lint one prepared message (see module docstring); `now` is any time on
    the day to preview (only its date is used); findings are worded in `ui_lang`."""
    kind, name, lint_audience, channel = ROUTES[audience]
    at = example_now(now)
    ctx = example_context(lang, phase=phase, crisis_type=crisis_type)
    try:
        rendered = library.render(kind, name=name.format(phase=phase), crisis_type=crisis_type,
                                  lang=lang, context=ctx, now=at)
    except TemplateMissing as exc:
        return Prepared(audience, phase, lang, None, missing=str(exc), tried=exc.tried)
    findings = lint(rendered.body, audience=lint_audience, phase=phase, lang=lang,
                    channel=channel, facts=lint_facts(ctx, at), now=at.replace(tzinfo=UTC),
                    tz=library.zone_for(lang), ui_lang=ui_lang)
    return Prepared(audience, phase, lang, rendered.template, rendered.subject, rendered.body,
                    tuple(findings))


def prepared_messages(library: TemplateLibrary, row, now: datetime,
                      ui_lang: str = "en") -> list[Prepared]:
    """Every prepared message of the risk `row` (a PlanRiskRow), in its order of phases and
    audiences, each language in turn."""
    return [prepare(library, row.crisis_type, audience, phase, lang, now, ui_lang)
            for audience, phase in row.messages for lang in row.langs]
