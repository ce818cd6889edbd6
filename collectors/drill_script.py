"""What people say in a drill: ordinary chatter and the two crisis scenarios, EN and FR.

Pure data; `collectors.drill` turns it into a minute-by-minute stream. Texts are built from
parts so the crowd does not repeat itself word for word, except where it really does
(retweets of a viral post).
"""

from __future__ import annotations

CALM = {
    "en": [
        "Just set up {brand} for the whole team, onboarding was smooth",
        "Anyone using {brand} for invoices? Thinking of switching",
        "{brand} dashboard looks nice after the update",
        "Does {brand} integrate with Google Drive?",
        "Moved our files to {brand} last month, no regrets so far",
        "Love how fast {brand} sync is on mobile",
        "Webinar from {brand} today about shared workspaces",
        "{brand} pricing page says the team plan is per seat, right?",
        "Reading the {brand} changelog with my coffee",
        "Thanks {handle} for the quick answer on my billing question",
        "Is there a dark mode in {brand}? Can't find it",
        "Our agency runs on {brand} and Slack, pretty happy with it",
        "{brand} search could be better tbh, takes a while to find old docs",
        "Tried {brand} over the weekend, decent free tier",
        "Comparing {brand} and Dropbox for a small office, any advice?",
    ],
    "fr": [
        "On vient de passer toute l'équipe sur {brand}, super simple",
        "Quelqu'un utilise {brand} pour partager des factures ?",
        "La nouvelle interface de {brand} est plutôt réussie",
        "{brand} marche bien sur mobile, la synchro est rapide",
        "Merci {handle} pour la réponse rapide au support",
        "Est-ce que {brand} s'intègre avec Google Drive ?",
        "Webinaire {brand} cet après-midi sur les espaces partagés",
        "Petit bureau, on hésite entre {brand} et Dropbox, des avis ?",
        "La recherche dans {brand} pourrait être plus rapide",
        "Testé {brand} ce week-end, l'offre gratuite est correcte",
    ],
}

# Crisis parts: opening x body x ending, so complaints vary the way real ones do.
OUTAGE = {
    "en": (
        ["{brand} is down", "Is {brand} down for everyone?", "{handle} your app won't load",
         "Can't log in to {brand}", "{brand} outage again??", "{brand} not working"],
        ["", " - getting error 503 on every page", " and I have a client demo in 20 minutes",
         " for the last half hour", ", files won't sync", ", login just spins forever",
         ". Entire team is blocked", " and the status page says nothing"],
        ["", " 😡", ". Fix it please", ". This is unacceptable", " #NimbusDown", "!!"],
    ),
    "fr": (
        ["{brand} est en panne", "{brand} ne marche plus chez vous ?",
         "Impossible de me connecter à {brand}", "{handle} votre appli ne charge plus",
         "Encore une panne {brand}"],
        ["", " depuis une demi-heure", ", erreur 503 partout", ", toute l'équipe est bloquée",
         " et j'ai une démo client dans 20 minutes", ", les fichiers ne se synchronisent plus"],
        ["", " 😡", ". C'est inadmissible", ". Réparez ça svp", " #NimbusDown", " !!"],
    ),
}

DATA_LEAK = {
    "en": (
        ["Is it true {brand} got hacked?", "Apparently {brand} customer data leaked",
         "Hearing rumours that {brand} had a data breach",
         "Unconfirmed: {brand} user database for sale on a forum",
         "Can anyone confirm the {brand} leak?", "{handle} were our files exposed?"],
        ["", " - passwords and emails apparently", ", 2 million accounts reportedly",
         ", someone posted a sample", " and nobody from {brand} is saying anything",
         ", changing all my passwords just in case"],
        ["", " 😬", ". Scary", " #NimbusLeak", "??", ". Need answers"],
    ),
    "fr": (
        ["C'est vrai que {brand} s'est fait pirater ?",
         "Apparemment les données clients de {brand} ont fuité",
         "Rumeur de fuite de données chez {brand}",
         "Quelqu'un peut confirmer la fuite chez {brand} ?",
         "{handle} nos fichiers ont-ils été exposés ?"],
        ["", ", mots de passe et emails apparemment", ", 2 millions de comptes d'après un forum",
         " et {brand} ne dit rien", ", je change tous mes mots de passe au cas où"],
        ["", " 😬", ". Inquiétant", " #NimbusLeak", " ??"],
    ),
}

# A rumour that rides on an outage: the crowd guesses a cause nobody has confirmed.
OUTAGE_RUMOUR = {
    "en": "Apparently the {brand} outage is because they got hacked, unconfirmed but a friend "
    "who works there says so",
    "fr": "Apparemment la panne {brand} serait due à un piratage, rien de confirmé mais on "
    "me l'a dit",
}

# Influential accounts whose posts get retweeted: (handle, followers, lang, text).
VIRAL = {
    "outage": [
        (6, "techcrunchish", 480_000, "en",
         "{brand} is suffering a major outage, users report they cannot log in or sync files"),
        (11, "lemonde_tech", 210_000, "fr",
         "Panne majeure chez {brand} : les utilisateurs ne peuvent plus se connecter"),
    ],
    "data-leak": [
        (0, "infosec_watch", 82_000, "en",
         ("Unconfirmed: a seller claims to have the {brand} customer database, 2M records. "
          "Is it real?")),
        (14, "zataz_like", 40_000, "fr",
         "Rumeur : une base de données clients de {brand} serait en vente. Fuite réelle ?"),
    ],
}

SCENARIOS = {
    # peak extra mentions/min, ramp minutes, ticket surge/min, rumour share, language mix
    "outage": {"peak": 26.0, "ramp": 8.0, "tickets": 14.0, "parts": OUTAGE,
               "rumour_at": 15, "crisis_type": "outage",
               "title": "Login and sync outage"},
    "data-leak": {"peak": 16.0, "ramp": 14.0, "tickets": 5.0, "parts": DATA_LEAK,
                  "rumour_at": 0, "crisis_type": "data_leak",
                  "title": "Data-leak rumour"},
}

TICKET_SUBJECTS = {
    "outage": ["Cannot log in", "503 error", "Files not syncing", "Site down?",
               "Impossible de se connecter"],
    "data-leak": ["Was my account exposed?", "Reset my password", "Data breach question",
                  "Mes données sont-elles concernées ?"],
    "calm": ["Billing question", "How to share a folder", "Invoice copy", "Add a seat",
             "Changer d'offre"],
}
