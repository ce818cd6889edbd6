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
            r"\bnext (?:update|sync|check-?in|briefing|status update|report|post)\b",
            r"\b(?:update|sync|check-?in|briefing) (?:again )?in \d+\s*(?:min|minutes?|h|hours?)\b",
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
            r"\b(?:in progress|under ?way|ongoing|being (?:rolled|restored|fixed|deployed|applied)\w*)\b",
            r"(?:^|\n)\s*(?:plan|actions?|next steps?|what we(?: are|'re) doing|doing)\s*:",
            r"\b(?-i:[A-Z][a-z]+) (?:is |are )?(?:check|restart|roll|restor|migrat|deploy|"
            r"investigat|monitor|review|patch|fix)\w*\b",
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
            r"\bprochain (?:point|bilan|message|communiqué)\b",
            r"\bprochaine communication\b",
            r"\b(?:point|bilan|mise à jour) (?:dans|à|vers|d'ici|avant) (?:\d|une?\b)",
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
            r"\ben cours\b",
            r"(?:^|\n)\s*(?:plan|actions?|prochaines étapes|ce que nous faisons)\s*:",
            r"\b(?-i:[A-Z][a-zéèï]+) (?:vérifie|redémarre|restaure|bascule|analyse|surveille|"
            r"déploie|corrige|examine)\b",
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
    r"update|mise à jour|point|sync|check-?in|bilan|briefing|since|depuis|started|commencé|"
    r"déclaré|\bto you\b|vers vous",
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
    "DPO", "IBAN", "BIC", "SWIFT", "SEPA", "RIB", "NASA", "NATO", "OTAN", "UNESCO", "AFNOR",
    "CNAM", "URSSAF", "SIRET", "SIREN", "TVA", "HTML", "CSV", "XML", "YAML", "PDF", "RGAA",
    "WCAG", "SAML2", "OIDC", "MFA", "OTP", "TOTP", "SIEM", "CERT", "CSIRT", "NCSC", "ENISA",
    "ASAP", "FYI", "HTTP2", "IPV4", "IPV6", "UUID", "EMEA", "APAC", "AMER", "NYSE",
    "NASDAQ", "GMT", "BST", "PST", "EST", "EDT", "PDT",
}
# Common words people shout ("we are WORKING on it", "Nimbus is DOWN"); a word of four or
# five capitals that is not one of these reads as an acronym (IBAN, SEPA, NIST) and passes.
SHOUTED_WORDS = {
    "DOWN", "HELP", "STOP", "FAIL", "DEAD", "HUGE", "BAD", "WORK", "WORKS", "FIXED", "FIXING",
    "SORRY", "NOW", "ASAP", "NEVER", "ALWAYS", "EVERY", "ALL", "NOT", "DONT", "WILL", "SAFE",
    "URGENT", "ALERT", "BACK", "SOON", "OVER", "BUSY", "PANNE", "AIDE", "TOUT", "TOUS",
    "RIEN", "JAMAIS", "VITE", "GRAVE", "ENFIN", "NOUS", "VOUS", "AVEC", "SANS", "TRES",
    "TRÈS", "DATA", "LOST", "GONE", "HACK", "HACKED", "WHAT", "WHY", "THIS",
    "THAT", "THEY", "WITH", "YOUR", "OUR", "FROM", "HAVE", "BEEN", "ARE", "YES", "OUI", "NON",
}

# Blame outside post-mortems too: a person, a team or a supplier held responsible in public.
_PARTY_EN = (r"(?:supplier|vendor|provider|hosting provider|host|partner|contractor|"
             r"subcontractor|intern|engineer|developer|employee|staff|team|colleague|"
             r"admin|administrator|operator|third[- ]party|datacenter|data cent(?:er|re))s?")
_PARTY_FR = (r"(?:fournisseur|prestataire|sous-traitant|hébergeur|partenaire|stagiaire|"
             r"ingénieur|développeur|salarié|employé|équipe|collègue|administrateur|"
             r"opérateur|datacenter|centre de données)s?")
BLAME_ANY = {
    "en": re.compile(
        r"\b(?:it'?s|it is|it was|this is|this was|that'?s|entirely|all|totally)?\s*"
        r"(?:our |the |their |an? )?" + _PARTY_EN + r"'s fault\b"
        r"|\bfault of (?:our |the |their |an? )?" + _PARTY_EN + r"\b"
        r"|\b(?:our |the |their |an? )" + _PARTY_EN + r" (?:is|are|was|were) (?:to blame|responsible)\b"
        r"|\b(?:blame|blaming) (?:on )?(?:our |the |their |an? )?" + _PARTY_EN + r"\b"
        r"|\b(?:caused|broken|made) by (?:our |the |their |an? )?(?:careless |junior |new )?"
        r"(?:supplier|vendor|provider|partner|contractor|intern|engineer|developer|employee|"
        r"colleague|operator)s?\b"
        r"|\b(?:human|operator) error\b|\b(?-i:[A-Z][a-z]+)'s fault\b|\b(?:his|her|their) fault\b"
        r"|\bnot our fault\b",
        re.IGNORECASE),
    "fr": re.compile(
        r"\b(?:c'est |c'était )?(?:entièrement |totalement )?la faute (?:de |d'|à |du |des )"
        r"(?:notre |nos |leur |leurs |l'|la |le |les |un |une )?"
        r"(?:\w+)?"
        r"|\b(?:notre|nos|le|la|l'|leur) ?" + _PARTY_FR + r" (?:est|sont|était|étaient) "
        r"(?:responsables?|fautifs?|en faute)\b"
        r"|\bà cause (?:de |d'|du |des )(?:notre |nos |leur |un |une )?" + _PARTY_FR + r"\b"
        r"|\b(?:causée?|provoquée?) par (?:notre |nos |un |une |le |la |l')?" + _PARTY_FR + r"\b"
        r"|\berreur humaine\b|\bsa faute\b|\bpas (?:de )?notre faute\b",
        re.IGNORECASE),
}

# Denial or minimisation while an incident is open.
DENIAL = {
    "en": re.compile(
        r"\beverything (?:is|'s) (?:working|running|fine|ok(?:ay)?|normal)(?: normally| fine)?\b"
        r"(?! again)"
        r"|\ball (?:systems|services) (?:are )?(?:operational|normal|working|up)\b(?! again)"
        r"|\bworking (?:normally|as (?:normal|usual|expected))\b(?! again)"
        r"|\b(?:there is|there's|there are) no (?:problem|issue|outage|incident)s?\b"
        r"|\bnothing (?:to worry about|is wrong|serious)\b"
        r"|\bno (?:cause for|need (?:for|to)) (?:concern|worry|panic)\b"
        r"|\b(?:just|only|merely) (?:a |an )?(?:minor |small |tiny |little )?"
        r"(?:glitch|blip|hiccup|bug|inconvenience|issue|problem)\b"
        r"|\bnot (?:a )?(?:big|real) (?:deal|problem|issue)\b"
        r"|\bno (?:real )?impact\b(?! (?:is |has been )?(?:yet )?(?:confirmed|known|identified))"
        r"|\bno one is (?:really )?affected\b"
        r"|\b(?:fake news|overblown|exaggerated)\b",
        re.IGNORECASE),
    "fr": re.compile(
        r"\btout (?:fonctionne|marche|va) (?:normalement|bien|parfaitement)\b"
        r"(?! (?:à nouveau|de nouveau))"
        r"|\btous (?:les )?(?:systèmes|services) (?:sont )?(?:opérationnels|normaux)\b"
        r"(?! (?:à nouveau|de nouveau))"
        r"|\bfonctionne(?:nt)? normalement\b(?! (?:à nouveau|de nouveau))"
        r"|\bil n'y a (?:aucun|pas de) (?:problème|incident|panne)\b"
        r"|\baucun (?:problème|souci|incident)\b"
        r"|\brien de (?:grave|sérieux|méchant)\b"
        r"|\b(?:pas|aucune raison) d'(?:inquiétude|inquiéter|s'inquiéter)\b"
        r"|\bpas de quoi s'inquiéter\b"
        r"|\b(?:juste|simplement|seulement) (?:un |une )?(?:petit |petite |léger |légère )?"
        r"(?:bug|souci|bogue|incident|problème|désagrément|contretemps)\b"
        r"|\baucun impact\b(?! (?:n'est |n'a été )?(?:encore )?(?:confirmé|connu|identifié|établi))"
        r"|\bpersonne n'est (?:vraiment )?(?:touché|concerné)\b"
        r"|\b(?:exagéré|infox|fausse information)\b",
        re.IGNORECASE),
}

# Clock times as people write them: 14:30, 14h30, 14 h 30, 16h, 16 h, optionally "UTC".
CLOCK = re.compile(
    r"(?<![\d:])(?P<h>[01]?\d|2[0-3])(?:(?::|\s?h\s?)(?P<m>[0-5]\d)|\s?h\b)(?![\d:])"
    r"(?P<zone>\s*(?:UTC|GMT|Z)\b|\s*\((?:heure de |heure d')?[A-Z][\w' -]{1,30}?(?: time)?\))?",
    re.IGNORECASE)
DURATION_BEFORE = re.compile(r"\b(?:in|within|dans|sous|en|for|pour|pendant)\s*$", re.IGNORECASE)
SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n")

# Function words that tell English from French; a sentence made of the other language's
# words inside a message is a sentence left untranslated.
STOPWORDS = {
    "en": frozenset(["the", "and", "is", "are", "was", "were", "we", "our", "you", "your", "cannot", "not", "of", "to", "in", "for", "with", "have", "has", "been", "this", "that", "it", "its", "will", "be", "customers", "users", "files", "many", "some", "log", "sync", "failing", "fails", "fix", "fixed", "update", "next", "by", "or", "from", "at", "an", "they", "there", "what", "which", "who", "why", "how", "still", "yet", "now", "being", "down", "issue", "problem", "affected", "since", "about", "because", "do", "does", "sorry", "thanks", "please", "investigating", "known", "unknown", "whether", "if", "can", "could", "would", "should", "their", "them", "these", "those", "no", "any", "every", "all", "more", "than", "also", "into", "over", "after", "before", "until", "while", "when", "where", "here", "then", "only", "just", "very", "much", "most", "people", "account", "accounts", "logins", "login", "team", "engineers", "expected", "currently", "working"]),
    "fr": frozenset(["le", "la", "les", "des", "du", "de", "un", "une", "et", "est", "sont", "nous", "vous", "notre", "nos", "votre", "vos", "pas", "ne", "que", "qui", "pour", "dans", "sur", "avec", "par", "au", "aux", "ce", "cette", "ces", "il", "elle", "ils", "elles", "se", "sa", "son", "ses", "leur", "leurs", "été", "être", "avons", "avez", "ont", "mise", "jour", "encore", "plus", "clients", "fichiers", "connexion", "travaillons", "désolés", "merci", "prochaine", "prochain", "point", "heure", "depuis", "vers", "mais", "ou", "donc", "car", "si", "comme", "tous", "toutes", "tout", "aucun", "aucune", "très", "déjà", "toujours", "quand", "où", "ici", "puis", "seulement", "nos", "équipes", "analysons", "savons", "connue", "connu", "ni", "leurs", "utilisateurs", "comptes", "synchronisation", "panne", "problème"]),
}
FRENCH_ELISION = re.compile(r"^(?:l|d|n|qu|c|s|j|m|t|jusqu|lorsqu|puisqu)'", re.IGNORECASE)
ENGLISH_CONTRACTION = re.compile(r"'(?:s|t|re|ve|ll|d|m)$", re.IGNORECASE)
FRENCH_LETTERS = re.compile(r"[éèêëàâîïôûùüçœ]", re.IGNORECASE)


# An impact statement that does not confirm anything happened ("may have been exposed",
# "no confirmed impact", "aucun impact confirmé"): messages must not presuppose a breach.
UNCONFIRMED_IMPACT = re.compile(
    r"\b(?:no|not(?: yet)?|un)[ -]?confirmed\b|\bnot (?:yet )?(?:been )?(?:confirmed|established)\b"
    r"|\b(?:may|might|could) have\b|\bpossibl\w*|\bpotential\w*|\bno (?:sign|evidence|trace)\b"
    r"|\bwhether\b|\bclaim\w*|\brumou?r\w*|\ballegedly\b|\bno (?:known )?impact\b"
    r"|\baucun\w* (?:\w+ ){0,3}confirmé\w*|\bpas (?:encore )?(?:été )?confirmé\w*"
    r"|\b(?:ont|a|auraient|aurait) pu\b|\bpourrai\w*|\bpotentiel\w*|\baucune (?:trace|preuve)\b"
    r"|\brumeur\w*|\baffirm\w*|\bprétend\w*|\baucun impact\b|\bsi des\b",
    re.IGNORECASE,
)
# Wording that takes a breach for granted ("how this happened", "the stolen data").
PRESUPPOSED_BREACH = re.compile(
    r"\bhow (?:this|it) (?:could have |has |had )?happened\b|\bhow (?:this|it) was possible\b"
    r"|\b(?:the|this) (?:breach|leak|intrusion|hack)\b|\b(?:stolen|leaked) (?:data|records)\b"
    r"|\bexposure has been closed\b|\bunauthori[sz]ed access (?:has been|was) (?:closed|stopped)\b"
    r"|\bcomment cela (?:a pu se produire|s'est produit|est arrivé)\b"
    r"|\b(?:la|cette) (?:fuite|intrusion|violation)\b|\bdonnées (?:volées|dérobées|divulguées)\b"
    r"|\bl'accès non autorisé a été (?:fermé|bloqué|coupé)\b",
    re.IGNORECASE,
)
