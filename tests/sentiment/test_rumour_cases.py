"""The real cases of issue 14 the rumour head must get right, as realistic EN/FR variants.

On the real streams (a French telco's data-breach claim and outage, an airline's storm meltdown)
the previous head scored the post launching the breach claim 0.20, a hedged French post saying
the data "semble avoir" leaked 0.02, a plain French outage report with "apparemment" 0.83, and
flagged 8-11 % of the storm's complaints. These texts are written here (same fictional brands as
the rest of the suite), not copied from those streams. They run on the real embedded model
(slow; built on first use) and the committed head.
"""

from __future__ import annotations

import pytest

from sentiment.rumour import THRESHOLD
from sentiment.scorer import Scorer
from tests.support.embedded_fixture import embedded_model

BREACH_LAUNCH = [
    "Is it true that Telyo was hacked? My data is for sale on a forum, someone sent me the link",
    "is it true telyo got hacked?? apparently customer data is being sold on the dark web",
    "C'est vrai que Telyo s'est fait pirater ? Mes données seraient en vente sur un forum",
    "Quelqu'un sait si c'est vrai que Telyo a été hacké ? On dit que les fichiers clients sont en vente",
]
HEDGED_LEAK_FR = [
    "Les données clients de Telyo semblent avoir fuité, plusieurs personnes en parlent sur Twitter",
    "Il semblerait que des données de Telyo aient fuité sur un forum, rien d'officiel pour l'instant",
]
PLAIN_OUTAGE_FR = [
    "Apparemment impossible de se connecter à l'espace client Telyo ce soir, la page tourne dans le vide",
    "Plus de télé depuis 20h sur ma box Telyo, apparemment il faut la redémarrer mais ça ne change rien",
]
STORM_COMPLAINTS = [
    "@FlyNord 4 hours on hold and my flight got cancelled again. Worst airline ever",
    "@FlyNord my bag is still in Chicago and nobody answers the phone",
    "Third delay today on FlyNord, missed my connection, no rebooking offered",
    "FlyNord app keeps crashing when I try to change my flight",
]
# Complaints the head still reads as news (rumour-lr/4: 0.57 and 0.68; rumour-lr/3: 0.61, 0.80):
# a cancelled flight and a storm read like the breaking-news tweets of PHEME.
STORM_COMPLAINTS_MISSED = [
    "Stuck at the gate for 3 hours with no information from @FlyNord, the storm is no excuse",
    "Flight cancelled, rebooked for Thursday and the hotel is not covered. Thanks FlyNord",
]


@pytest.fixture(scope="module")
def rumour(tmp_path_factory):
    scorer = Scorer(embedded_model(tmp_path_factory))
    return lambda texts: {t: round(s.rumour, 3) for t, s in zip(texts, scorer.score(texts))}


@pytest.mark.slow
def test_the_post_launching_a_breach_claim_is_a_rumour_en_and_fr(rumour):
    scores = rumour(BREACH_LAUNCH)
    assert all(r >= THRESHOLD for r in scores.values()), scores


@pytest.mark.slow
def test_a_hedged_french_leak_semble_avoir_is_a_rumour(rumour):
    scores = rumour(HEDGED_LEAK_FR)
    assert all(r >= THRESHOLD for r in scores.values()), scores


@pytest.mark.slow
def test_a_plain_french_outage_report_with_apparemment_is_not(rumour):
    scores = rumour(PLAIN_OUTAGE_FR)
    assert all(r < THRESHOLD for r in scores.values()), scores


@pytest.mark.slow
def test_airline_storm_complaints_stay_out_of_the_rumour_template(rumour):
    scores = rumour(STORM_COMPLAINTS)
    assert all(r < THRESHOLD for r in scores.values()), scores


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="known false positives of rumour-lr/4 (0.57, 0.68): "
                   "storm and cancellation complaints read like PHEME breaking news")
def test_known_miss_storm_complaints_that_read_like_news(rumour):
    scores = rumour(STORM_COMPLAINTS_MISSED)
    assert all(r < THRESHOLD for r in scores.values()), scores
