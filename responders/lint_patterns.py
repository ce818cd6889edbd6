"""The phrasing the message linter (`responders.lint`) looks for, in English and French:
one regex per rule and language in `PHRASES`, and the shared patterns for times, ETAs,
negations, impact statements, figures and shouting. Data only; the rules are in lint.py."""

from __future__ import annotations

import re


def _rx(*alternatives: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE)


# Phrasing per language; lint() uses English + the message language. Each value is one regex.
PHRASES = {
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
PERCENT_RE = re.compile(r"\b(\d+(?:[.,]\d+)?)\s?%")
# An ETA claim: a resolution word followed, in the same sentence, by a clock time or a duration.
ETA_CLAIM = re.compile(
    r"\b(?:eta|fix(?:ed)?|resolv(?:e|ed)|restor(?:e|ed)|back|recover(?:ed|y)?|(?:expect|estimate)\w*"
    r"|rétabli\w*|résolu\w*|corrigé\w*|retour|remis\w* en service|estim\w+|prévu\w*)\b"
    rf"(?P<gap>[^.\n!?]{{0,50}}?)(?:\b(?:by|before|around|at|until|in|within|for|d'ici|vers|avant|à|pour|dans|sous)|:)\s*"
    rf"(?:(?P<time>{_TIME})|(?P<dur>{_DURATION}))",
    re.IGNORECASE,
)
GAP_NOT_ETA = re.compile(
    r"update|mise à jour|point|since|depuis|started|commencé|déclaré|\bto you\b|vers vous",
    re.IGNORECASE,
)
# "was restored at 13:05" reports the past; it is not a promise.
PAST_BEFORE = re.compile(
    r"\b(?:was|were|been|has|have|été|est|sont|avons|a)\s+(?:\w+\s+)?$", re.IGNORECASE
)
NEGATION_BEFORE = re.compile(
    r"(?:\bnot\b|\bcannot\b|n't\b|\bno\b|\bwhether\b|\bif\b|\bpas\b|\bsi\b|\bignorons\b|\bsans\b)[^.]{0,40}$",
    re.IGNORECASE,
)
NEGATION_AFTER = re.compile(
    r"^\W{0,3}(?:\w+\W+)?(?:still |yet |currently |encore |toujours )?"
    r"(?:not\b|unknown|unclear|uncertain|pas\b|inconnue?|incertaine?|indéterminée?"
    r"|under investigation|being investigated|en cours d'analyse|à l'étude)",
    re.IGNORECASE,
)
MINUTES_PROMISE = re.compile(
    r"\b(?:in|within|dans|d'ici|sous|en)\s+(?:\d+|quelques|a few|few)\s*min(?:ute)?s?\b",
    re.IGNORECASE,
)
IMPACT_HINT = re.compile(
    r"\d\s?%|\b(?:cannot|can't|unable|unavailable|down|slow|delayed|fail\w*|affect\w*|impact\w*|"
    r"exposed|error\w*|outage|disrupt\w*|interrupt\w*|ne peuvent|ne pouvez|impossible|"
    r"indisponible\w*|ralenti\w*|touchée?s?|concernée?s?|échou\w*|exposée?s?|perturb\w*|"
    r"interrompu\w*|panne|erreurs?)\b",
    re.IGNORECASE,
)
FIGURE = re.compile(
    r"\d\s?%|\b\d[\d,.\s]*\s(?:customers|users|accounts|teams|clients|utilisateurs|comptes)\b"
    r"|\b(?:all|every|tous|toutes|chaque)\b|\b(?:EU|US|Europe|États-Unis|region|région)\b",
    re.IGNORECASE,
)
# Words in capitals; not parts of URLs, handles, hashtags or identifiers.
SHOUT = re.compile(r"(?<![\w/.@#-])[A-ZÀ-ÖØ-Ý]{4,}(?![\w/@-]|\.\w)")
ACRONYMS = {
    "ETA", "API", "APIS", "SMS", "UTC", "CEST", "CET", "CEO", "CTO", "CFO", "CISO", "URL",
    "URLS", "HTTP", "HTTPS", "DNS", "SSO", "SAML", "RGPD", "GDPR", "CNIL", "ICO", "FAQ",
    "VPN", "IOS", "AWS", "GCP", "SLA", "SLAS", "TLS", "SSL", "CDN", "SAAS", "JSON", "HIPAA",
    "SOC2", "ISO", "OAUTH", "LDAP", "SCIM", "IMAP", "SMTP", "WIFI", "NIST", "ANSSI", "PSSI",
    "DPO",
}
