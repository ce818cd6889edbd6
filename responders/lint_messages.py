"""The linter's finding messages, in English and French: findings are read by the person
checking the message, in their language (``lint(..., ui_lang=...)``; on the command line,
``--lang``'s). One format string per message and language; data only."""

from __future__ import annotations

LANGS = ("en", "fr")  # every message below is in each of these

MESSAGES: dict[str, dict[str, str]] = {
    "truth.certain": {
        "en": "Says the cause is known ('{quote}') while the incident is still investigating; "
              "say what is known and that the cause is not yet known.",
        "fr": "Affirme connaître la cause (« {quote} ») alors que l'analyse est en cours ; "
              "dites ce que l'on sait et que la cause n'est pas encore connue.",
    },
    "truth.unknown": {
        "en": "The cause is not known yet but the message does not say so; add what is not "
              "known yet (e.g. 'we don't know the cause yet' / 'la cause n'est pas encore "
              "connue').",
        "fr": "La cause n'est pas encore connue mais le message ne le dit pas ; ajoutez ce que "
              "l'on ne sait pas encore (par ex. « la cause n'est pas encore connue »).",
    },
    "truth.breach": {
        "en": "'{quote}' takes for granted that something happened, but the facts do not "
              "confirm any impact yet; say what is established and what is not.",
        "fr": "« {quote} » présuppose que quelque chose s'est produit, alors que les faits ne "
              "confirment encore aucun impact ; dites ce qui est établi et ce qui ne l'est pas.",
    },
    "calm.panic": {
        "en": "Alarm word '{quote}' spreads panic; describe the impact factually instead.",
        "fr": "Le mot « {quote} » affole ; décrivez plutôt l'impact de façon factuelle.",
    },
    "calm.shout": {
        "en": "'{quote}' is in capitals and reads as shouting; write it in normal case.",
        "fr": "« {quote} » est en capitales et se lit comme un cri ; écrivez-le normalement.",
    },
    "calm.bangs": {
        "en": "{count} exclamation marks make the message sound alarmed; keep at most one.",
        "fr": "{count} points d'exclamation donnent un ton alarmé ; gardez-en un au plus.",
    },
    "action.next_update": {
        "en": "Does not say when the next update comes; add e.g. 'Next update by 11:30 UTC' / "
              "'Prochaine mise à jour à 11:30 UTC'.",
        "fr": "Ne dit pas quand viendra le prochain point ; ajoutez par ex. « Prochaine mise à "
              "jour à 11 h 30 » (next update).",
    },
    "action.doing": {
        "en": "Does not say what we are doing about it; add e.g. 'our engineers are rolling "
              "back the change' / 'nos équipes ...'.",
        "fr": "Ne dit pas ce que nous faisons ; ajoutez par ex. « nos ingénieurs annulent la "
              "modification ».",
    },
    "over_promise.guarantee": {
        "en": "'{quote}' promises more than we can know; state facts and what we are doing "
              "instead.",
        "fr": "« {quote} » promet plus que ce que nous savons ; donnez les faits et ce que "
              "nous faisons.",
    },
    "over_promise.no_cause": {
        "en": "Gives an ETA ('{quote}') while the cause is not yet known; say the ETA is not "
              "yet known and give the next update time instead.",
        "fr": "Annonce une heure de rétablissement (« {quote} ») alors que la cause n'est pas "
              "encore connue ; dites qu'elle n'est pas encore connue et donnez l'heure du "
              "prochain point.",
    },
    "over_promise.no_eta": {
        "en": "Gives an ETA ('{quote}') but no ETA has been agreed in the incident facts.",
        "fr": "Annonce une heure de rétablissement (« {quote} ») qu'aucun fait de l'incident "
              "ne donne.",
    },
    "over_promise.early": {
        "en": "Promises '{quote}', earlier than the tech lead's estimate ({estimate}); never "
              "promise faster than engineering does.",
        "fr": "Promet « {quote} », plus tôt que l'estimation de l'équipe technique "
              "({estimate}) ; ne promettez jamais plus vite que l'équipe technique.",
    },
    "over_promise.past": {
        "en": "States the ETA '{quote}', which has already passed ({now} now); give a new "
              "estimate or say the ETA is uncertain.",
        "fr": "Annonce « {quote} », heure déjà passée (il est {now}) ; donnez une nouvelle "
              "estimation ou dites qu'elle est incertaine.",
    },
    "over_promise.minutes": {
        "en": "'{quote}' is a minute-precise promise while still investigating; prefer 'ETA "
              "not yet known' with a next update time.",
        "fr": "« {quote} » est une promesse à la minute alors que l'analyse est en cours ; "
              "préférez « heure de rétablissement pas encore connue » et l'heure du prochain "
              "point.",
    },
    "vague.blank": {
        "en": "A fact is blank here ('{quote}'); fill it in on the incident page or remove the "
              "line.",
        "fr": "Un fait est vide ici (« {quote} ») ; complétez-le sur la page de l'incident ou "
              "supprimez la ligne.",
    },
    "vague.phrase": {
        "en": "'{quote}' is vague; say who is affected, how many, and what they cannot do.",
        "fr": "« {quote} » est vague ; dites qui est touché, combien, et ce qu'ils ne peuvent "
              "pas faire.",
    },
    "vague.impact": {
        "en": "No impact statement; say what customers cannot do and how many are affected.",
        "fr": "Aucun impact indiqué ; dites ce que les clients ne peuvent pas faire et combien "
              "sont touchés.",
    },
    "vague.short": {
        "en": "Only {count} characters; a status or notification update needs impact, actions "
              "and the next update time.",
        "fr": "Seulement {count} caractères ; une mise à jour doit donner l'impact, les actions "
              "et l'heure du prochain point.",
    },
    "blameless": {
        "en": "'{quote}' blames a person; post-mortems are blameless: describe what in the "
              "system or process allowed the failure.",
        "fr": "« {quote} » désigne un coupable ; un post-mortem est sans reproche : décrivez ce "
              "qui, dans le système ou le processus, a permis la panne.",
    },
    "blame": {
        "en": "'{quote}' blames someone (a person, a team or a supplier) in public; we own the "
              "problem: say what happened and what we are doing.",
        "fr": "« {quote} » rejette la faute sur quelqu'un (une personne, une équipe, un "
              "fournisseur) en public ; le problème est le nôtre : dites ce qui s'est passé et "
              "ce que nous faisons.",
    },
    "denial": {
        "en": "'{quote}' denies or downplays the problem while an incident is open; state the "
              "impact as it is.",
        "fr": "« {quote} » nie ou minimise le problème alors qu'un incident est en cours ; "
              "donnez l'impact tel qu'il est.",
    },
    "mixed_language": {
        "en": "This sentence is in {other}, in a message in {lang}: '{quote}'; translate it "
              "(a fact without a {lang} version shows up like this).",
        "fr": "Cette phrase est en {other} dans un message en {lang} : « {quote} » ; "
              "traduisez-la (un fait sans version en {lang} apparaît ainsi).",
    },
    "translate": {
        "en": "translate: {fields} {verb} no {lang} version yet, so {pronoun} would appear in "
              "English; add {pronoun2} on the incident page.",
        "fr": "à traduire : {fields} sans version en {lang} ; le texte anglais apparaîtrait "
              "dans le message. Ajoutez la traduction sur la page de l'incident.",
    },
    "stale": {
        "en": "Promises the next update at {promised}, which is not after the time this "
              "message goes out ({now}); give a new next-update time.",
        "fr": "Annonce le prochain point à {promised}, heure qui n'est pas après l'envoi de ce "
              "message ({now}) ; donnez une nouvelle heure.",
    },
    "consistency": {
        "en": "Messages of the same update state different {label} ({detail}); every audience "
              "must hear the same facts.",
        "fr": "Les messages d'une même mise à jour donnent des {label} différents ({detail}) ; "
              "chaque public doit entendre les mêmes faits.",
    },
}
LANG_NAMES = {
    "en": {"en": "English", "fr": "French"},
    "fr": {"en": "anglais", "fr": "français"},
}
FIELD_NAMES = {
    "en": {"title": "title", "impact": "impact", "known": "what we know",
           "unknown": "what we don't know", "cause": "cause", "actions": "actions",
           "components": "component names"},
    "fr": {"title": "titre", "impact": "impact", "known": "ce que nous savons",
           "unknown": "ce que nous ne savons pas", "cause": "cause", "actions": "actions",
           "components": "noms des composants"},
}


def message(key: str, ui_lang: str, **values) -> str:
    """The message `key` in `ui_lang` (English when that language has none)."""
    texts = MESSAGES[key]
    return texts.get(ui_lang, texts["en"]).format(**values)
