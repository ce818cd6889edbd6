"""Channel limits: counted the way each channel counts."""

import pytest

from responders.limits import LIMITS, check, length, sms_segments


def test_limits_table():
    assert LIMITS["x"] == 280 and LIMITS["mastodon"] == 500 and LIMITS["bluesky"] == 300


def test_x_counts_urls_as_23_and_wide_chars_as_2():
    url = "https://status.nimbus.example/incidents/12?utm_source=x"
    assert length("x", f"see {url}") == 4 + 23
    assert length("x", "日本") == 4  # CJK weigh 2
    assert length("x", "ok 😀") == 3 + 2
    assert length("x", "👨‍👩‍👧") == 2  # one ZWJ emoji sequence counts 2 in total
    assert length("x", "café") == 4  # Latin-1 letters weigh 1
    assert length("x", "cafe\u0301") == 4  # NFC first: e + combining acute is one code point


def test_x_trailing_punctuation_is_not_part_of_the_url():
    assert length("x", "Details: https://status.nimbus.example.") == len("Details: ") + 23 + 1


def test_mastodon_counts_urls_as_23_and_remote_mentions_by_local_part():
    assert length("mastodon", "hi https://example.org/a/very/long/path/that/goes/on") == 3 + 23
    assert length("mastodon", "@dana@mastodon.social hi") == len("@dana hi")


def test_bluesky_counts_graphemes():
    assert length("bluesky", "👨‍👩‍👧 é") == 3
    assert length("bluesky", "https://status.nimbus.example") == 29  # no URL shortening


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", ("GSM-7", 0)),
        ("a" * 160, ("GSM-7", 1)),
        ("a" * 161, ("GSM-7", 2)),
        ("a" * 306, ("GSM-7", 2)),
        ("a" * 307, ("GSM-7", 3)),
        ("€" * 80, ("GSM-7", 1)),  # extension characters take two septets
        ("€" * 81, ("GSM-7", 2)),
        ("à é è ù" * 20, ("GSM-7", 1)),  # these French accents are in GSM-7
        ("ê" * 70, ("UCS-2", 1)),
        ("ê" * 71, ("UCS-2", 2)),
        ("ê" * 134, ("UCS-2", 2)),
        ("ê" * 135, ("UCS-2", 3)),
        ("😀" * 35, ("UCS-2", 1)),  # surrogate pairs: 2 UTF-16 units each
        ("😀" * 36, ("UCS-2", 2)),
    ],
)
def test_sms_segments(text, expected):
    assert sms_segments(text) == expected


def test_sms_escape_pair_is_not_split_across_segments():
    # 152 plain septets then a 2-septet '€': it cannot straddle the 153 boundary.
    assert sms_segments("a" * 152 + "€" + "a" * 152) == ("GSM-7", 3)


def test_check_messages():
    assert check("x", "short") is None
    problem = check("x", "a" * 281)
    assert problem and "281" in problem and "280" in problem
    assert check("sms", "a" * 306) is None
    sms = check("sms", "ê" * 200)
    assert sms and "UCS-2" in sms and "3 segments" in sms
    assert check("sms", "a" * 200, max_segments=1) is not None
    assert check("email", "a" * 100000) is None  # no hard limit
