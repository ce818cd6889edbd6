"""First-pass rumour and crisis-type reading from wording, English and French.

Transparent rules a comms lead can audit; the sentiment model does the subtle part.
A rumour is an unverified claim being passed on: hedges ("apparently", "reportedly",
"unconfirmed"), questions asking others to confirm, and hearsay.
"""

from __future__ import annotations

import re

_HEDGES = [
    # English hedges, hearsay, attribution of an unconfirmed claim
    r"apparently", r"reportedly", r"allegedly", r"unconfirmed", r"unverified", r"rumou?r(?:s|ed)?",
    r"(?:i'?m |been |we'?re )?hearing", r"i heard", r"i'?ve heard", r"word is",
    r"someone (?:said|says|posted|told)", r"people (?:are )?(?:saying|claiming)", r"people say",
    r"a friend who works", r"sources? (?:say|says|said|tell|told|claim)", r"(?:un)?named sources?",
    r"is (?:it|this|that) (?:true|real|legit)", r"can (?:anyone|someone|somebody) confirm",
    r"any(?:one)? confirm(?:ation)?", r"(?:not|yet to be|not yet) (?:been )?confirmed", r"supposedly",
    r"claims? (?:to|that)", r"said to (?:be|have)", r"believed to",
    r"(?:un)?confirmed reports?", r"reports? (?:say|of|that|suggest)", r"according to (?:a |an |one )?(?:source|rumou?r|report|witness)",
    # French
    r"apparemment", r"il para[iî]t", r"para[iî]t-il", r"rumeurs?", r"serait", r"seraient", r"aurait",
    r"auraient", r"pourrait", r"pourraient", r"il semblerait", r"semblerait",
    r"(?:semble|semblent) (?:avoir|[eê]tre)", r"on dit que", r"on dirait que", r"il se dit",
    r"selon (?:un|une|des|plusieurs|certains|nos) ", r"d'apr[eè]s (?:un|une|des|certains)",
    r"on me l'a dit", r"on m'a dit", r"j'ai entendu", r"c'est vrai que", r"c'est vrai \?",
    r"est-ce (?:que c'est )?vrai", r"non confirm[ée]e?s?", r"pas (?:encore )?confirm[ée]e?s?",
    r"quelqu'un peut confirmer", r"quelqu'un (?:peut|pourrait) confirmer", r"rien de confirm[ée]",
    r"qui peut confirmer", r"[àa] v[ée]rifier", r"[àa] confirmer", r"des sources",
    r"circulerai(?:t|ent)",
]
_HEDGE = re.compile(r"\b(?:" + "|".join(_HEDGES) + r")", re.IGNORECASE)
_CONFIRM_QUESTION = re.compile(
    r"\b(?:real|true|confirm|legit|vrai|r[ée]elle?|confirmer|s[ée]rieux)\b[^.!]*\?"
    r"|\b(?:did|has|have|was|were|is|are)\b[^.!?]{0,60}\b(?:hack(?:ed)?|leak(?:ed)?|breach(?:ed)?|stolen|"
    r"bankrupt|shut(?:ting)? down|arrested|dead|killed|resign(?:ed|ing)?)\b[^.!]*\?", re.IGNORECASE)
# French journalistic conditional (hearsay): "X aurait perdu", "des fichiers circuleraient".
_FR_CONDITIONAL = re.compile(r"\b\w{2,}(?:erait|eraient|irait|iraient|rait|raient)\b", re.IGNORECASE)
# Claims of leaks, hacks, breaches (EN/FR).
_LEAK_CLAIM = re.compile(
    r"\b(?:hack(?:ed|ers?|é|ée|és)?|leak(?:ed|s)?|breach(?:ed)?|data (?:exposed|stolen|dump)|"
    r"dark ?web|for sale|ransomware|stolen|pirat(?:é|ée|és|ées|age|er)|fuit(?:e|é|ées?|er)|fuité|"
    r"vol(?:é|ées?) |en vente|pass(?:words?|eports?)|mots? de passe|donn[ée]es (?:client|perso)\w*)",
    re.IGNORECASE)
# First-hand experience: the writer reports what happens to them (complaints, outages).
_FIRST_HAND = re.compile(
    r"\b(?:for me|to me|my|"
    r"i (?:can'?t|cannot|couldn'?t|have|had|was|got|paid|need|keep|tried)|i'?ve been|"
    r"chez moi|pour moi|mon (?:compte|appli|colis|vol|forfait|t[ée]l[ée]phone)|ma (?:commande|carte|ligne|box|facture)|"
    r"je (?:n'arrive|ne peux|peux pas|suis|dois)|j'attends|j'ai (?:pay|re[cç]u|eu)|m'a)\b",
    re.IGNORECASE)
# Service and billing complaints: a brand's problem the writer suffers, not hearsay.
_COMPLAINT = re.compile(
    r"\b(?:refund|fees?|charged|charging|cancel(?:led|lation|ed)?|customer service|on hold|waiting|"
    r"worst|unacceptable|ridiculous|disgusting|terrible|awful|useless|still (?:no|not)|again|"
    r"won'?t (?:load|work)|not working|doesn'?t work|down|outage|buffering|slow|"
    r"rembours\w*|frais|factur\w*|pr[ée]lev\w*|annul\w*|service client|attends|nul(?:le)?|"
    r"insupportable|inadmissible|scandale|encore|panne|ne marche (?:plus|pas)|rame)\b", re.IGNORECASE)
# Official status updates.
_STATUS = re.compile(
    r"\b(?:we(?:'re| are) (?:aware|working|investigating|sorry)|restored|resolved|fixed|back up|"
    r"next update|status page|our (?:team|engineers)|working on (?:a|the) fix|"
    r"r[ée]tabli|r[ée]solu|nos [ée]quipes|mise [àa] jour|nous avons identifi[ée]|travaill\w+ [àa])",
    re.IGNORECASE)

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
    """How likely the text passes on an unverified claim, in [0, 1].

    Hedges/hearsay and requests to confirm count; a hedge in a first-hand report ("apparently
    the app won't load for me") counts half; a claim of a leak or hack adds to hearsay."""
    hedges = len(_HEDGE.findall(text)) + (1 if _FR_CONDITIONAL.search(text) and not _HEDGE.search(text) else 0)
    asks = 1 if _CONFIRM_QUESTION.search(text) else 0
    score = 0.45 * hedges + 0.3 * asks
    if score and _FIRST_HAND.search(text) and not asks:
        score *= 0.5
    score = min(1.0, score)
    # Hearsay about a cause or a breach is the kind of rumour that spreads.
    if score and _LEAK_CLAIM.search(text):
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
    "upper_ratio", "fr_conditional", "leak_claim", "first_hand", "complaint", "status",
    "hedge_first_hand",
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
        min(2, len(_FR_CONDITIONAL.findall(text))),
        min(2, len(_LEAK_CLAIM.findall(text))),
        min(2, len(_FIRST_HAND.findall(text))),
        min(3, len(_COMPLAINT.findall(text))),
        min(2, len(_STATUS.findall(text))),
        1.0 if _HEDGE.search(text) and _FIRST_HAND.search(text) else 0.0,
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


# ------------------------------------------------------------------ sentiment cues (EN/FR)
# The sentiment model reads words, not situations: "great, another outage, love it" holds three
# positive words and read 0.99 positive; "merci pour rien" read 0.82 positive. A service
# failure told with praise words is sarcasm or a complaint, never praise. These cues are
# applied on top of the model's probabilities (``adjust_sentiment``); how often they fire on the
# labelled data, and how often they are right there, is in the model card.

SENTIMENT_CUES_VERSION = "2"

# Fixed sarcastic idioms: "thanks for nothing", "merci pour rien", "merci du cadeau", and
# thanks for a harm done ("thanks @united for losing my bag", "merci d'avoir annulé mon vol").
_THANKS = (r"\b(?:thanks?|thank you|cheers|merci)(?: (?:so much|a lot|very much|beaucoup|bien))?"
           r"(?: @\w+| \w+){0,2}")
_SARCASM_IDIOM = re.compile(
    _THANKS + r" (?:for|pour) (?:nothing|rien|que dalle)\b|\bmerci du cadeau\b"
    r"|\bc'est (?:bien )?ce qu'il me fallait\b"
    r"|" + _THANKS + r" for (?:losing|breaking|cancell?ing|delaying|ruining|wasting|"
    r"overcharging|double charging|charging me twice|leaking)\b"
    r"|" + _THANKS + r" (?:d'avoir|pour avoir) (?:perdu|cass[ée]|annul[ée]|supprim[ée]|coup[ée]|"
    r"g[âa]ch[ée]|retard[ée]|factur[ée] deux fois|divulgu[ée]|laiss[ée] fuiter)\b",
    re.IGNORECASE)
_PRAISE = re.compile(
    r"\b(?:great|love(?:ly| it| this)?|awesome|amazing|perfect|brilliant|fantastic|wonderful|"
    r"nice|thanks?|thank you|good job|well done|g[ée]nial(?:e)?|super|parfait|j'adore|merci|"
    r"bravo|formidable|chapeau|trop bien|top|just what i needed)\b", re.IGNORECASE)
# A service failure the writer is suffering (outage, login, loading, errors), EN and FR.
_FAILURE = re.compile(
    r"\b(?:outages?|(?:is|are|was|still|been) down(?! (?:\d|(?:for|to|with|the)\b))|down again|down for (?:everyone|anyone|me|us|all|hours|the (?:last|past))|not working|"
    r"(?:doesn'?t|does not|won'?t|will not|didn'?t) (?:work|load|open|sync|connect)|"
    r"can'?t (?:log ?in|sign in|access|connect|load)|cannot (?:log ?in|sign in|access|connect)|"
    r"spins? forever|takes? forever|error \d{3}|(?:keeps? )?crash(?:es|ed|ing)|"
    r"lost my (?:bags?|luggage|suitcase|package|parcel|order)|"
    r"(?:flight|vol)s? (?:(?:was|is|got|has been) )?(?:cancell?ed|delayed|annul[ée]s?|retard[ée]s?)|"
    r"en panne|(?:une|la|nouvelle|cette|[ée]ni[eè]me) panne|pannes|"
    r"ne (?:marche|fonctionne|charge|r[ée]pond) (?:plus|pas)|"
    r"impossible de (?:me |se )?(?:connecter|charger|acc[ée]der|payer)|erreur \d{3}|"
    r"tourne dans le vide|plant[ée]e?)\b", re.IGNORECASE)
# The failure is over: praise is then sincere ("thanks, it's back up").
_RESOLVED = re.compile(
    r"\b(?:fixed|fixing|the (?:quick )?fix|restored|restoring|resolved|back (?:up|online|to normal)|"
    r"works? again|working again|"
    r"is back|r[ée]tabli(?:e|s|es)?|r[ée]solu(?:e|s|es)?|r[ée]par[ée](?:e|s|es)?|remarche|"
    r"fonctionne [àa] nouveau|"
    r"de retour)\b", re.IGNORECASE)


# How a failure is told: "!" or how long it has lasted ("since this morning", "depuis 2
# heures", "still") make a report a complaint; a bare question stays a report. ("again" and
# "encore" are left out: "two sets down again" is sport on the labelled tweets.)
_EMPHASIS = re.compile(
    r"!|\bsince (?:this morning|yesterday|last night|\d+|hours|days|an hour)|\bfor (?:hours|days|"
    r"\d+ (?:hours?|days?|minutes?))\b|\bstill\b|\bdepuis (?:ce matin|hier|cette nuit|"
    r"\d+|des heures|des jours|une heure|une demi-heure|ce midi)|\btoujours pas\b",
    re.IGNORECASE)


def sentiment_cue(text: str) -> str | None:
    """``"sarcasm"`` for a sarcastic idiom or praise words about an unresolved service failure,
    ``"complaint"`` for an unresolved failure told with emphasis ("!", "since this morning",
    "still"), ``"failure"`` for a plain report of one, else None."""
    if _SARCASM_IDIOM.search(text):
        return "sarcasm"
    if not _FAILURE.search(text) or _RESOLVED.search(text):
        return None
    if _PRAISE.search(text):
        return "sarcasm"
    return "complaint" if _EMPHASIS.search(text) else "failure"


def adjust_sentiment(text: str, probs: dict[str, float]) -> dict[str, float]:
    """``probs`` (negative/neutral/positive) with the cue of ``text`` applied: on any cue the
    positive probability moves to negative (a failure is never praise). On a failure cue
    neutral is kept, since a plain report ("is it down for everyone?") is often labelled
    neutral; on a sarcasm or complaint cue half of it moves to negative too (an attitude, not
    a report; half, not all, keeps the model's doubt visible). Returns a new dict."""
    cue = sentiment_cue(text)
    if cue is None:
        return probs
    out = dict(probs)
    moved = out.get("positive", 0.0) + (0.5 * out.get("neutral", 0.0) if cue != "failure" else 0.0)
    out["negative"] = out.get("negative", 0.0) + moved
    out["neutral"] = out.get("neutral", 0.0) - (moved - out.get("positive", 0.0))
    out["positive"] = 0.0
    return out
