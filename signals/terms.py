"""Emerging terms: words and hashtags whose share of mentions departs from their own past.

`terms_of(text)` turns a mention into the set of terms it contains (lower-cased words of
three letters or more, hashtags, @handles and numbers of three digits or more like 503;
English and French stop words dropped, French elisions like l'/d'/qu' stripped).
`TermTracker` keeps, per term, a slowly decaying rate of mentions containing it, and tests
the share of mentions that contain it over a recent window against that rate (binomial
tail), each term at the bar raised by log10 of the number of terms tested in that bucket
(a Bonferroni correction: a bucket tests every term seen often enough, not one). Sharing by volume means a plain volume spike, in which every word grows together,
is not news here (the volume detector already says it); "panne", "leak", "hacked" or a
product name going from rare to common is.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import regex

from signals.baseline import alpha_of, binomial_tail, surprise_of

STOP_WORDS = frozenset(["a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "aren't", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "can't", "cannot", "could", "couldn't", "did", "didn't", "do", "does", "doesn't", "doing", "don't", "down", "during", "each", "even", "ever", "every", "few", "for", "from", "further", "get", "gets", "got", "had", "hadn't", "has", "hasn't", "have", "haven't", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "however", "i", "i'm", "if", "in", "into", "is", "isn't", "it", "it's", "its", "itself", "just", "know", "let's", "like", "me", "more", "most", "much", "must", "my", "myself", "new", "no", "nor", "not", "now", "of", "off", "on", "once", "one", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "please", "really", "same", "say", "says", "she", "should", "so", "some", "still", "such", "than", "that", "that's", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "us", "very", "via", "was", "wasn't", "way", "we", "were", "weren't", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "won't", "would", "you", "your", "yours", "yourself", "yourselves", "yes", "yeah", "yet", "lol", "omg", "via", "amp", "rt", "anyone", "anybody", "someone", "something", "thing", "things", "today", "tonight", "right", "now", "going", "gonna", "want", "au", "aux", "avec", "ce", "ces", "cet", "cette", "chez", "comme", "dans", "de", "des", "du", "elle", "elles", "en", "est", "et", "été", "être", "eux", "il", "ils", "je", "la", "le", "les", "leur", "leurs", "lui", "ma", "mais", "me", "même", "mes", "moi", "mon", "ne", "nos", "notre", "nous", "on", "ont", "ou", "où", "par", "pas", "plus", "pour", "qu", "que", "qui", "sa", "sans", "se", "ses", "si", "son", "sont", "sur", "ta", "te", "tes", "toi", "ton", "tous", "tout", "toute", "toutes", "très", "tu", "un", "une", "vos", "votre", "vous", "ça", "cela", "ceci", "c'est", "j'ai", "y", "a-t-il", "est-ce", "aussi", "alors", "avoir", "bien", "car", "chaque", "depuis", "donc", "encore", "fait", "faire", "faut", "ici", "jamais", "là", "peu", "peut", "quand", "quelqu", "quelque", "rien", "sera", "serait", "suis", "tant", "toujours", "trop", "vers", "voilà", "oui", "non", "merci"])

_TOKEN = regex.compile(r"[#@]?[\p{L}\p{N}][\p{L}\p{N}_'’-]*")
_ELISION = regex.compile(r"^(?:[ldjcmnst]|qu|jusqu|lorsqu|puisqu)['’]", regex.I)


def terms_of(text: str) -> set[str]:
    """The distinct terms of one mention."""
    out = set()
    for raw in _TOKEN.findall(text.lower()):
        if raw.startswith("http"):
            continue
        token = raw.rstrip("'’-")
        if token[0] not in "#@":
            token = _ELISION.sub("", token)
        if token in STOP_WORDS or not token:
            continue
        if token[0] in "#@" or token.isdigit():
            if len(token) >= 3:
                out.add(token)
        elif len(token) >= 3:
            out.add(token)
    return out


@dataclass
class TermHit:
    term: str
    observed: int  # mentions containing it in the window
    expected: float
    surprise: float


@dataclass
class TermTracker:
    """Per-term decaying rate (mentions per bucket containing it), lazily decayed.

    `rates[term] = [rate, bucket index of the last update]`; `volume` is the same kind of
    rate for all mentions, so rate/volume is the term's usual share of mentions.
    """

    rates: dict[str, list[float]] = field(default_factory=dict)
    volume: float = 0.0
    window: list[dict[str, int]] = field(default_factory=list)
    window_mentions: list[int] = field(default_factory=list)

    def step(self, index: int, terms: dict[str, int], mentions: int, *, window: int,
             half_life: float, min_count: int, floor: float, lift: float, fire_at: float,
             learn_below: float, max_terms: int, test: bool) -> list[TermHit]:
        self.window = (self.window + [terms])[-window:]
        self.window_mentions = (self.window_mentions + [mentions])[-window:]
        n = sum(self.window_mentions)
        alpha = alpha_of(half_life)
        hits: list[TermHit] = []
        anomalous: set[str] = set()
        if test and n:
            counts: Counter = Counter()
            for d in self.window:
                counts.update(d)
            tested = [(term, k) for term, k in counts.items() if k >= min_count]
            # Every term common enough is a test of its own: the more of them a bucket
            # holds (hundreds at 20,000 posts a day, a handful at 20), the higher the bar,
            # or a busy brand's chatter would supply a "new word" every few days.
            fire_at += math.log10(max(len(tested), 1))
            for term, k in tested:
                share = min(max(self._rate(term, index, alpha) / self.volume if self.volume else 0.0,
                                floor), 0.98)
                if k / n < lift * share:
                    continue
                surprise = surprise_of(binomial_tail(k, n, share))
                if surprise >= learn_below:
                    anomalous.add(term)
                if surprise >= fire_at:
                    hits.append(TermHit(term, k, round(share * n, 2), round(surprise, 2)))
        for term, c in terms.items():
            # A term that is news is learned ten times slower: a new product name becomes
            # ordinary within days, a crisis word does not become normal during the crisis.
            a = alpha / 10 if term in anomalous else alpha
            rate = self._rate(term, index - 1, alpha)
            self.rates[term] = [(1 - a) * rate + a * c, float(index)]
        self.volume += alpha * (mentions - self.volume)
        if len(self.rates) > max_terms:
            self._prune(index, int(max_terms * 0.8), alpha)
        hits.sort(key=lambda h: (-h.surprise, h.term))
        return hits

    def _rate(self, term: str, index: int, alpha: float) -> float:
        """The term's rate as of bucket `index` (decayed through the buckets without it)."""
        entry = self.rates.get(term)
        if entry is None:
            return 0.0
        rate, last = entry
        return rate * (1 - alpha) ** max(index - last, 0)

    def _prune(self, index: int, keep: int, alpha: float) -> None:
        ranked = sorted(self.rates, key=lambda t: (-self._rate(t, index, alpha), t))
        self.rates = {t: self.rates[t] for t in ranked[:keep]}
