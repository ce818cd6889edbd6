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
_HEDGE = re.compile(r"\b(?:" + "|".join(_HEDGES) + r")\b", re.IGNORECASE)
_CONFIRM_QUESTION = re.compile(r"\b(?:real|true|confirm|vrai|r[ée]elle?|confirmer)\b[^.!]*\?", re.IGNORECASE)

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
_CRISIS = {k: re.compile(r"\b(?:" + "|".join(v) + r")\b", re.IGNORECASE) for k, v in CRISIS_TYPES.items()}


def rumour_score(text: str) -> float:
    """How likely the text passes on an unverified claim, in [0, 1]."""
    hedges = len(_HEDGE.findall(text))
    asks = 1 if _CONFIRM_QUESTION.search(text) else 0
    score = min(1.0, 0.45 * hedges + 0.3 * asks)
    # Hearsay about a cause or a breach is the kind of rumour that spreads.
    if score and _CRISIS["data_leak"].search(text):
        score = min(1.0, score + 0.2)
    return round(score, 3)


# ------------------------------------------------------------------ rumour wording features
# Inputs of the trained rumour model (sentiment.rumour) next to the sentence embedding. Each is a
# count or flag a person can check by reading the post; names are stored with the weights.

_BREAKING = re.compile(
    r"\b(?:breaking|just in|developing|urgent|alert|update|confirmed|unconfirmed|"
    r"derni[eè]re minute|alerte|urgent|en direct|info)\b", re.IGNORECASE)
_ATTRIBUTION = re.compile(
    r"\b(?:reports?|reported|reportedly|according to|sources?|officials?|police say|"
    r"witness(?:es)?|claims?|claimed|says|said|told|selon|d'apr[eè]s|sources?|t[ée]moins?|"
    r"affirme|annonce)\b", re.IGNORECASE)
_SPECULATION = re.compile(
    r"\b(?:may|might|could|possibly|likely|believed|thought to|said to|appears?|seems?|"
    r"looks like|suspected|unclear|unknown|pourrait|peut-[eê]tre|semble|soup[cç]onn[ée]|"
    r"probablement|serait|aurait)\b", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|me|my|we|our|je|j'|moi|mon|ma|mes|nous)\b", re.IGNORECASE)
_MEDIA = re.compile(r"\b(?:video|photo|pic|pics|picture|footage|vid[ée]o|image)s?\b", re.IGNORECASE)
_OPINION = re.compile(
    r"\b(?:thoughts?|prayers?|pray|rip|sad|tragic|heart|shame|disgusting|love|hate|"
    r"should|must|pens[ée]es?|honte|triste)\b", re.IGNORECASE)
_URL = re.compile(r"https?://\S+")
_DIGITS = re.compile(r"\d")

RUMOUR_FEATURES: tuple[str, ...] = (
    "lexicon_score", "hedges", "confirm_question", "question_marks", "exclamations",
    "breaking", "attribution", "speculation", "first_person", "media", "opinion",
    "leak_terms", "has_url", "has_digits", "hashtags", "handles", "log_words",
    "upper_ratio",
)


def rumour_features(text: str) -> list[float]:
    """The transparent wording features of ``text``, in RUMOUR_FEATURES order."""
    import math

    words = text.split()
    letters = [c for c in text if c.isalpha()]
    return [
        rumour_score(text),
        min(3, len(_HEDGE.findall(text))),
        1.0 if _CONFIRM_QUESTION.search(text) else 0.0,
        min(3, text.count("?")),
        min(3, text.count("!")),
        min(2, len(_BREAKING.findall(text))),
        min(3, len(_ATTRIBUTION.findall(text))),
        min(3, len(_SPECULATION.findall(text))),
        min(3, len(_FIRST_PERSON.findall(text))),
        1.0 if _MEDIA.search(text) else 0.0,
        min(3, len(_OPINION.findall(text))),
        min(2, len(_CRISIS["data_leak"].findall(text))),
        1.0 if _URL.search(text) else 0.0,
        1.0 if _DIGITS.search(_URL.sub("", text)) else 0.0,
        min(5, text.count("#")),
        min(5, text.count("@")),
        math.log1p(len(words)),
        sum(c.isupper() for c in letters) / len(letters) if letters else 0.0,
    ]


def crisis_type(text: str) -> str | None:
    """The crisis a mention is about, if any: the type with the most matching terms
    (ties go to the more serious type, in CRISIS_TYPES order)."""
    best, hits = None, 0
    for name, pattern in _CRISIS.items():
        n = len(pattern.findall(text))
        if n > hits:
            best, hits = name, n
    return best
