"""Realistic recorded mention streams for `crisiswatch replay`, generated at run time (seeded).

    .venv/bin/python benchmarks/replay_streams.py OUT.jsonl --per-day 20 --weeks 3 \
        [--crisis double|burst|none] [--multiplier M --minutes D] [--seed N]

Contract: ``generate(spec)`` returns the posts (dicts with ``created_at`` as an aware UTC
datetime, ``text``, ``author``, ``lang``, ``followers``, and the generator's own truth in
``_complaint`` / ``_crisis``, which ``write_jsonl`` leaves out), sorted by time, and the crisis
onset (None for a calm stream); ``write_jsonl(path, posts)`` writes the replay format
(`crisiswatch replay` reads it). The same spec and seed give the same stream.

Shape, and why (real mention streams are far from Poisson):

- rate per minute = volume x hour-of-day rhythm (quiet nights, an evening peak) x weekday
  factor (weekends at 70 %) x a gamma factor per day (squared CV ``day_cv2``: some days are
  busier) x a gamma factor per hour (``hour_cv2``) x one per 10 minutes (``tenmin_cv2``),
  then Poisson: over-dispersed at every scale, as the NAB Twitter series are;
- now and then (``echo_per_day``) a calm "echo": someone with an audience posts and a few
  replies follow (a short spike of 2-4 extra posts at low volume, 0.3-1.5x the 10-minute
  rate at high volume), which is not a crisis and must not alert;
- texts are realistic customer chatter in English and French (questions, praise, the usual
  complaints: about a fifth negative on a calm day), and the brand's own account
  (``@nimbushq``, author ``NimbusHQ``) answers about one complaint in eight, often with the
  same sentence; during a crisis it answers many more, with one sentence (the trap the
  issue describes: its own words must never alert);
- the crisis multiplies the rate by ``multiplier`` for ``minutes`` from the onset, and the
  extra posts are complaints about the incident.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

T0 = datetime(2026, 2, 2, tzinfo=UTC)  # a Monday
BRAND, HANDLE, BRAND_AUTHOR = "Nimbus", "@nimbushq", "NimbusHQ"

CALM_EN = [
    "Anyone else using {b} for their photos? Worth it?",
    "{b} sync finally works on my new phone, nice",
    "question: does {b} family plan cover 5 devices?",
    "just moved everything to {b}, smooth so far",
    "{b} support sorted my billing in 10 minutes, thanks",
    "is {b} pricing changing next month?",
    "love the new {b} widget",
    "{b} app feels faster since the update",
    "how do I share an album on {b} with my mum",
    "{b} vs the others for backups? opinions",
]
CALM_FR = [
    "Quelqu'un utilise {b} pour les photos ? ça vaut le coup ?",
    "la synchro {b} marche enfin sur mon nouveau téléphone",
    "question : l'offre famille {b} couvre combien d'appareils ?",
    "passée chez {b} ce week-end, rien à redire pour l'instant",
    "le service client {b} a réglé ma facture en 10 min, merci",
    "{b} change ses prix le mois prochain ?",
    "j'aime bien le nouveau widget {b}",
    "l'appli {b} est plus rapide depuis la mise à jour",
    "comment on partage un album {b} avec ma mère",
]
GRUMBLE_EN = [
    "{b} charged me twice this month, still waiting on a refund",
    "why does {b} log me out every other day",
    "{b} upload is so slow on hotel wifi",
    "3 days and no answer from {b} support, great",
    "{b} keeps asking me to update my payment details",
]
GRUMBLE_FR = [
    "{b} m'a prélevé deux fois ce mois-ci, toujours pas remboursé",
    "pourquoi {b} me déconnecte tout le temps",
    "l'envoi sur {b} est d'une lenteur en ce moment",
    "3 jours sans réponse du support {b}, bravo",
]
CRISIS_EN = [
    "{b} is down?? can't log in at all",
    "is {b} down for everyone or just me",
    "{b} login just spins forever, nothing loads",
    "my {b} photos are gone from the app, what is happening",
    "{b} not working since this morning, useless",
    "@nimbushq your service is down and nobody says anything",
    "can't access any of my files on {b}, this is a joke",
]
CRISIS_FR = [
    "{b} en panne ?? impossible de me connecter",
    "{b} ne marche plus chez vous aussi ?",
    "la connexion {b} tourne dans le vide depuis une heure",
    "plus aucune photo dans l'appli {b}, c'est quoi ce bazar",
    "panne {b} depuis ce matin, inadmissible",
    "@nimbushq c'est en panne et aucune communication",
]
REPLIES_EN = ["{to} Sorry to hear that, please DM us your account email so we can look into it",
              "{to} Thanks for flagging, our team is on it"]
REPLIES_FR = ["{to} Désolés pour la gêne, envoyez-nous votre e-mail en MP pour qu'on regarde",
              "{to} Merci du signalement, nos équipes sont dessus"]


@dataclass(frozen=True)
class StreamSpec:
    """One stream: ``per_day`` crowd posts on an average weekday, ``weeks`` of history
    before the crisis day, and an optional crisis (``multiplier`` x for ``minutes``)."""

    per_day: float = 20.0
    weeks: int = 3
    seed: int = 1
    multiplier: float = 1.0  # 1.0: calm
    minutes: int = 0
    onset_hour: float = 10.5  # on the day after the history (a Monday)
    fr_share: float = 0.5
    day_cv2: float = 0.02
    hour_cv2: float = 0.02
    tenmin_cv2: float = 0.02
    echo_per_day: float = 1.0
    reply_rate: float = 0.12
    crisis_reply_rate: float = 0.5

    @property
    def onset(self) -> datetime | None:
        if self.multiplier == 1.0 or self.minutes <= 0:
            return None
        return T0 + timedelta(days=7 * self.weeks, hours=self.onset_hour)

    @property
    def days(self) -> int:
        return 7 * self.weeks + 1


def rhythm(hour: np.ndarray) -> np.ndarray:
    """Hour-of-day shape, mean about 1: quiet nights, a lunch bump, an evening peak."""
    return (0.15 + np.clip(np.sin(np.pi * (hour - 7) / 16), 0, None)
            + 0.25 * np.exp(-((hour - 20.5) ** 2) / 3)) / 0.78


def rates(spec: StreamSpec, rng: np.random.Generator) -> np.ndarray:
    """Expected crowd posts per minute, calm (no crisis), over the whole stream."""
    minutes = spec.days * 1440
    m = np.arange(minutes)
    hour = (m % 1440) / 60
    weekday = (m // 1440) % 7
    base = spec.per_day / 1440 * rhythm(hour) * np.where(weekday >= 5, 0.7, 1.0)

    def gamma(cv2: float, block: int) -> np.ndarray:
        n = -(-minutes // block)
        f = rng.gamma(1 / cv2, cv2, n) if cv2 > 0 else np.ones(n)
        return np.repeat(f, block)[:minutes]

    return base * gamma(spec.day_cv2, 1440) * gamma(spec.hour_cv2, 60) * gamma(
        spec.tenmin_cv2, 10)


def minute_counts(spec: StreamSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Crowd posts per minute: (calm ones, echoes included; the crisis's extra ones)."""
    lam = rates(spec, rng)
    calm = rng.poisson(lam)
    # calm echoes: a few extra posts within ten minutes, proportional to the 10-minute rate
    echoes = rng.poisson(spec.echo_per_day * spec.days)
    for start in rng.integers(0, len(lam) - 10, echoes):
        extra = rng.poisson(max(2.0, lam[start:start + 10].sum() * rng.uniform(0.3, 1.5)))
        calm[start:start + 10] += rng.multinomial(extra, [0.1] * 10)
    onset = spec.onset
    crisis = np.zeros_like(calm)
    if onset is not None:
        i0 = int((onset - T0).total_seconds() // 60)
        span = slice(i0, i0 + spec.minutes)
        crisis[span] = rng.poisson(lam[span] * (spec.multiplier - 1))
    return calm, crisis


def minute_series(spec: StreamSpec) -> tuple[list[datetime], np.ndarray, np.ndarray]:
    """The stream as per-minute counts without texts (fast, for tests and the detector
    benchmark): naive UTC minutes, crowd mentions, and complaints (a fifth of the calm
    posts, every crisis post). The brand's replies are not in it: they never feed a series."""
    rng = np.random.default_rng(spec.seed)
    calm, crisis = minute_counts(spec, rng)
    complaints = rng.binomial(calm, 0.2) + crisis
    start = T0.replace(tzinfo=None)
    return ([start + timedelta(minutes=i) for i in range(len(calm))], calm + crisis,
            complaints)


def generate(spec: StreamSpec) -> tuple[list[dict], datetime | None]:
    rng = np.random.default_rng(spec.seed)
    calm, crisis = minute_counts(spec, rng)
    onset = spec.onset
    posts: list[dict] = []
    for minute in np.flatnonzero(calm + crisis):
        at = T0 + timedelta(minutes=int(minute))
        for is_crisis, n in ((False, calm[minute]), (True, crisis[minute])):
            for _ in range(int(n)):
                posts.append(_post(rng, at, spec, is_crisis))
    replies = [_reply(rng, p, spec) for p in posts if p["_complaint"]
               and rng.random() < (spec.crisis_reply_rate if p["_crisis"]
                                   else spec.reply_rate)]
    posts += replies
    posts.sort(key=lambda p: p["created_at"])
    return posts, onset


def _post(rng, minute: datetime, spec: StreamSpec, crisis: bool) -> dict:
    fr = rng.random() < spec.fr_share
    if crisis:
        pool, complaint = (CRISIS_FR if fr else CRISIS_EN), True
    elif rng.random() < 0.2:
        pool, complaint = (GRUMBLE_FR if fr else GRUMBLE_EN), True
    else:
        pool, complaint = (CALM_FR if fr else CALM_EN), False
    text = pool[rng.integers(len(pool))].format(b=BRAND)
    if rng.random() < 0.3:  # people add a little of their own
        text += " " + ["!!", "😡" if complaint else "🙂", "#nimbus", "lol", "..."][
            rng.integers(5)]
    followers = int(rng.lognormal(5.0, 1.6))
    return {"created_at": minute + timedelta(seconds=float(rng.uniform(0, 60))),
            "text": text, "author": f"user{rng.integers(10**6)}", "lang": "fr" if fr else "en",
            "followers": followers, "_complaint": complaint, "_crisis": crisis}


def _reply(rng, post: dict, spec: StreamSpec) -> dict:
    fr = post["lang"] == "fr"
    pool = REPLIES_FR if fr else REPLIES_EN
    text = pool[rng.integers(len(pool))].format(to="@" + post["author"])
    return {"created_at": post["created_at"] + timedelta(minutes=float(rng.uniform(2, 40))),
            "text": text, "author": BRAND_AUTHOR, "lang": post["lang"], "followers": 52_000,
            "_complaint": False, "_crisis": False}


def write_jsonl(path: Path, posts: list[dict]) -> Path:
    with Path(path).open("w", encoding="utf-8") as f:
        for i, p in enumerate(posts):
            row = {**{k: v for k, v in p.items() if not k.startswith("_")}, "id": f"s{i}",
                   "created_at": p["created_at"].isoformat().replace("+00:00", "Z")}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return Path(path)


CRISES = {"none": (1.0, 0), "double": (2.0, 90), "burst": (5.0, 15)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--per-day", type=float, default=20.0)
    p.add_argument("--weeks", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--crisis", choices=sorted(CRISES), default="none")
    p.add_argument("--multiplier", type=float, default=None)
    p.add_argument("--minutes", type=int, default=None)
    args = p.parse_args()
    mult, minutes = CRISES[args.crisis]
    spec = StreamSpec(per_day=args.per_day, weeks=args.weeks, seed=args.seed,
                      multiplier=args.multiplier or mult,
                      minutes=args.minutes if args.minutes is not None else minutes)
    posts, onset = generate(spec)
    write_jsonl(Path(args.out), posts)
    print(json.dumps({"posts": len(posts), "onset": onset and onset.isoformat(),
                      "per_day": spec.per_day, "weeks": spec.weeks}))


if __name__ == "__main__":
    main()
