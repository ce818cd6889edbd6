"""Offline language detection for short posts.

``detect_language(text)`` returns an ISO 639-1 code ("en", "fr", ...) or "und" when the
text has too little language in it (a bare link, emojis, a handle) or the guess is unsure.
Backed by py3langid (a naive-Bayes byte n-gram model shipped in the package), restricted to
the languages a brand is likely to hear from: on tweet-length text an unrestricted 97-language
model confuses close pairs (fr/oc, es/gl, pt/gl) far more often than it helps.
"""

from __future__ import annotations

import re
from functools import lru_cache

LANGUAGES: tuple[str, ...] = (
    "ar", "bg", "ca", "cs", "da", "de", "el", "en", "es", "fi", "fr", "he", "hi", "hu", "id",
    "it", "ja", "ko", "nl", "no", "pl", "pt", "ro", "ru", "sv", "th", "tr", "uk", "vi", "zh",
)  # fmt: skip
UNDETERMINED = "und"

# Links, @handles and the "RT" marker say nothing about the language, and URLs are long
# enough to dominate the n-gram counts of a short post.
_NOISE = re.compile(r"https?://\S+|www\.\S+|@\w+|\bRT\b|#")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(LANGUAGES)
    return ident


def detect_language(text: str, *, min_confidence: float = 0.4) -> str:
    """Best-guess ISO 639-1 code of ``text``, or "und" when fewer than 3 letters remain
    after removing links/handles or the top probability is below ``min_confidence``."""
    cleaned = _NOISE.sub(" ", text or "")
    if len(_LETTER.findall(cleaned)) < 3:
        return UNDETERMINED
    lang, confidence = _identifier().classify(cleaned)
    return lang if confidence >= min_confidence else UNDETERMINED
