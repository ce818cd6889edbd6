"""First-pass rumour and crisis-type reading from wording, English and French.

Transparent rules a comms lead can audit; the sentiment model does the subtle part.
A rumour is an unverified claim being passed on: hedges ("apparently", "reportedly",
"unconfirmed"), questions asking others to confirm, and hearsay.
"""

from __future__ import annotations

import re

_HEDGES = [
    r"apparently", r"reportedly", r"allegedly", r"unconfirmed", r"rumou?rs?", r"hearing",
    r"i heard", r"someone (?:said|says|posted)", r"a friend who works", r"is it true",
    r"can anyone confirm", r"not confirmed", r"supposedly", r"claims? to",
    r"apparemment", r"il para[iî]t", r"rumeur", r"serait", r"seraient", r"aurait",
    r"auraient", r"d'apr[eè]s un", r"on me l'a dit", r"c'est vrai que", r"non confirm[ée]",
    r"quelqu'un peut confirmer", r"rien de confirm[ée]",
]
_HEDGE = re.compile(r"\b(?:" + "|".join(_HEDGES) + r")\b", re.I)
_CONFIRM_QUESTION = re.compile(r"\b(?:real|true|confirm|vrai|r[ée]elle?|confirmer)\b[^.!]*\?", re.I)

CRISIS_TYPES: dict[str, list[str]] = {
    "data_leak": [r"hack(?:ed|ers?)?", r"leak(?:ed|s)?", r"breach", r"data (?:exposed|stolen)",
                  r"database", r"pirat(?:é|e|age|er)", r"fuit(?:e|é)", r"donn[ée]es",
                  r"mots? de passe", r"passwords?", r"exposed?", r"expos[ée]s?"],
    "outage": [r"down", r"outage", r"not working", r"won'?t load", r"can'?t (?:log ?in|access)",
               r"503", r"500", r"error", r"panne", r"ne marche plus", r"impossible de",
               r"ne charge plus", r"bloqu[ée]e?"],
    "degraded": [r"slow", r"lag+(?:ing|gy)?", r"takes forever", r"lent(?:e|eur)?",
                 r"ralenti"],
    "billing": [r"charged twice", r"double charged", r"refund", r"invoice", r"billing",
                r"factur(?:e|é|ation)", r"rembours", r"pr[ée]lev"],
    "defect": [r"bug+(?:gy|s)?", r"crash(?:es|ed|ing)?", r"broken", r"plante", r"bogue"],
}
_CRISIS = {k: re.compile(r"\b(?:" + "|".join(v) + r")\b", re.I) for k, v in CRISIS_TYPES.items()}


def rumour_score(text: str) -> float:
    """How likely the text passes on an unverified claim, in [0, 1]."""
    hedges = len(_HEDGE.findall(text))
    asks = 1 if _CONFIRM_QUESTION.search(text) else 0
    score = min(1.0, 0.45 * hedges + 0.3 * asks)
    # Hearsay about a cause or a breach is the kind of rumour that spreads.
    if score and _CRISIS["data_leak"].search(text):
        score = min(1.0, score + 0.2)
    return round(score, 3)


def crisis_type(text: str) -> str | None:
    """The crisis a mention is about, if any: the type with the most matching terms
    (ties go to the more serious type, in CRISIS_TYPES order)."""
    best, hits = None, 0
    for name, pattern in _CRISIS.items():
        n = len(pattern.findall(text))
        if n > hits:
            best, hits = name, n
    return best
