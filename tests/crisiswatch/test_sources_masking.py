"""`sources check` never reveals a secret by masking it inside a longer word."""

from __future__ import annotations

from crisiswatch.settings import Settings
from crisiswatch.sources import check_sources, scrub


def test_scrub_masks_whole_words_so_nothing_is_revealed():
    assert scrub("missing or shorter than 16", ["short"]) == "missing or *** than 16"
    assert "er than" not in scrub("shorter than", ["short"])
    assert scrub("token abc=xyz refused", ["xyz"]) == "token *** refused"
    assert scrub("nothing secret here", ["zzz"]) == "nothing secret here"


def test_short_webhook_secret_is_reported_without_revealing_it():
    settings = Settings(sources={"webhook": {"enabled": True}})
    env = {"CRISISWATCH_WEBHOOK_SECRET": "short"}.get
    [result] = check_sources(settings, env)
    assert not result.ok
    assert result.message == ("webhook: CRISISWATCH_WEBHOOK_SECRET missing or shorter than "
                              "16 characters")
    assert "***" not in result.message
