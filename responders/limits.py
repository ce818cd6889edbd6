"""Channel length limits, counted the way each channel counts.

Contract:

- ``LIMITS[channel]`` is the maximum length of one post on that channel.
- ``length(channel, text)`` is the length of ``text`` as that channel counts it:
  X uses the twitter-text v3 weighted length (NFC, every URL = 23, code points outside the
  Latin/punctuation ranges and every emoji = 2); Mastodon counts graphemes with every URL = 23 and
  remote mentions counted by their local part; Bluesky counts graphemes; anything else counts graphemes.
- ``sms_segments(text)`` returns ``(encoding, segments)``: ``"GSM-7"`` when every character is in
  the GSM 03.38 basic or extension table (extension characters take two septets), otherwise
  ``"UCS-2"`` counted in UTF-16 code units. 160/153 septets or 70/67 units per segment; an escape
  pair or a surrogate pair is never split across segments (that is what phones do).
- ``check(channel, text, max_segments=2)`` returns ``None`` when the text fits, else a sentence a
  comms lead understands.
"""

from __future__ import annotations

import math
import re
import unicodedata

try:  # `regex` understands \X (extended grapheme clusters); it is a dependency of transformers.
    import regex as _regex
except ImportError:  # pragma: no cover - exercised only on installs without `regex`
    _regex = None

LIMITS: dict[str, int] = {
    "x": 280,
    "bluesky": 300,
    "mastodon": 500,
    "threads": 500,
    "linkedin": 3000,
    "reddit": 10000,
}

URL_LENGTH = 23  # X and Mastodon both count any link as 23 characters.

# Links: explicit scheme, www., or a bare domain with a common TLD (twitter-text autolinks those).
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+"
    r"|\b(?:[a-z0-9-]+\.)+(?:com|org|net|io|fr|co|app|dev|eu|uk|de|info|ly|me)\b(?:/[^\s<>\"']*)?",
    re.IGNORECASE,
)
_TRAILING_PUNCT = ".,;:!?)]}'\""
_REMOTE_MENTION = re.compile(r"(@\w+)@[\w.-]+\w")

# twitter-text v3: these code point ranges weigh 1, everything else 2.
_X_LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))

# GSM 03.38 basic character set and the extension table (each extension char costs 2 septets).
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("\f^{}\\[~]|€")


def graphemes(text: str) -> list[str]:
    """User-perceived characters. Falls back to code points joined with combining marks / ZWJ."""
    if _regex is not None:
        return _regex.findall(r"\X", text)
    clusters: list[str] = []
    for ch in text:
        joins = clusters and (
            unicodedata.combining(ch)
            or ch in "\u200d\ufe0f"
            or clusters[-1].endswith("\u200d")
            or 0x1F3FB <= ord(ch) <= 0x1F3FF  # skin tone modifiers
        )
        if joins:
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return clusters


def _is_emoji(cluster: str) -> bool:
    for ch in cluster:
        cp = ord(ch)
        if 0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF or 0x1F1E6 <= cp <= 0x1F1FF:
            return True
        if ch == "\ufe0f":  # emoji presentation selector, e.g. "❤️"
            return True
    return False


def _urls(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _URL.finditer(text):
        start, end = m.span()
        while end > start and text[end - 1] in _TRAILING_PUNCT:
            end -= 1
        spans.append((start, end))
    return spans


def _split_urls(text: str) -> tuple[int, str]:
    """Return (number of URLs, text with URLs removed)."""
    spans = _urls(text)
    out, pos = [], 0
    for start, end in spans:
        out.append(text[pos:start])
        pos = end
    out.append(text[pos:])
    return len(spans), "".join(out)


def _x_length(text: str) -> int:
    n_urls, rest = _split_urls(unicodedata.normalize("NFC", text))
    weight = n_urls * URL_LENGTH
    for cluster in graphemes(rest):
        if _is_emoji(cluster):
            weight += 2  # an emoji sequence (ZWJ, skin tone, flag) counts 2 however long it is
            continue
        for ch in cluster:
            cp = ord(ch)
            weight += 1 if any(lo <= cp <= hi for lo, hi in _X_LIGHT_RANGES) else 2
    return weight


def length(channel: str, text: str) -> int:
    """Length of ``text`` as ``channel`` counts it (see module docstring)."""
    channel = channel.lower()
    if channel == "x":
        return _x_length(text)
    if channel == "mastodon":
        text = _REMOTE_MENTION.sub(r"\1", text)
        n_urls, rest = _split_urls(text)
        return n_urls * URL_LENGTH + len(graphemes(rest))
    if channel == "sms":
        return len(text)
    return len(graphemes(text))


def _pack(costs: list[int], per_segment: int) -> int:
    """Segments needed when units of the given costs may not be split across segments."""
    segments, used = 1, 0
    for cost in costs:
        if used + cost > per_segment:
            segments, used = segments + 1, 0
        used += cost
    return segments


def sms_segments(text: str) -> tuple[str, int]:
    """``(encoding, segments)`` for one SMS; an empty text is ``("GSM-7", 0)``."""
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text):
        costs = [2 if ch in _GSM_EXTENDED else 1 for ch in text]
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        costs = [2 if ord(ch) > 0xFFFF else 1 for ch in text]  # UTF-16 code units
        single, multi, encoding = 70, 67, "UCS-2"
    total = sum(costs)
    if total == 0:
        return encoding, 0
    if total <= single:
        return encoding, 1
    return encoding, max(_pack(costs, multi), math.ceil(total / multi))


def check(channel: str, text: str, max_segments: int = 2) -> str | None:
    """``None`` if ``text`` fits ``channel``, else a human explanation of what is too long."""
    channel = channel.lower()
    if channel == "sms":
        encoding, segments = sms_segments(text)
        if segments > max_segments:
            hint = (
                " A character outside the GSM alphabet (e.g. ê, ç, ’, emoji) switched it to "
                "UCS-2, which holds 70 characters per SMS instead of 160."
                if encoding == "UCS-2"
                else ""
            )
            return (
                f"SMS needs {segments} segments ({encoding}, {len(text)} characters); "
                f"the limit is {max_segments}.{hint}"
            )
        return None
    limit = LIMITS.get(channel)
    if limit is None:
        return None  # unknown channels (email, status page) have no hard limit
    n = length(channel, text)
    if n > limit:
        return f"Too long for {channel}: {n} characters as {channel} counts them, limit {limit}."
    return None
