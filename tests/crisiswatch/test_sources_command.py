"""`crisiswatch sources check` (clear, secret-free) and `crisiswatch collect --since`."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from crisiswatch import cli, settings
from crisiswatch.sources import configured_collectors
from store.models import MentionRow, SourceHealthRow
from tests.support.fake_http import FakeServer, Reply
from tests.support.feeds import ITEMS, rss

TOKEN = "MASTODON-SECRET-TOKEN-42"


@pytest.fixture
def fake():
    with FakeServer() as api:
        yield api


def write_config(tmp_path, fake, extra=""):
    path = tmp_path / "crisiswatch.toml"
    path.write_text(f"""
[sources.rss]
feeds = ["{fake.url}/news.rss"]
keywords = ["nimbus"]

[sources.mastodon]
api_base_url = "{fake.url}"
queries = ["#nimbusdown"]

[sources.reddit]
subreddits = ["nimbus"]

[sources.zendesk]
subdomain = "nimbus"
email = "ops@nimbus.example"
api_token = "typed-into-the-file"

[sources.webhook]
max_bytes = 1000
{extra}""")
    return path


def run(capsys, tmp_path, monkeypatch, *argv):
    monkeypatch.setenv("CRISISWATCH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CRISISWATCH_DATABASE_URL", "sqlite:///" + str(tmp_path / "cw.db"))
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_sources_check_says_what_is_wrong_without_secrets(fake, tmp_path, monkeypatch, capsys):
    fake.route("GET", "/news.rss", Reply(body=rss(ITEMS), content_type="application/rss+xml"))
    fake.route("GET", "/api/v1/accounts/verify_credentials",
               Reply(401, {"error": f"The access token {TOKEN} is invalid"}))
    monkeypatch.setenv("CRISISWATCH_MASTODON_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("CRISISWATCH_WEBHOOK_SECRET", "short")
    for var in ("CRISISWATCH_REDDIT_CLIENT_ID", "CRISISWATCH_REDDIT_CLIENT_SECRET"):
        monkeypatch.delenv(var, raising=False)
    config = write_config(tmp_path, fake, '[sources.myspace]\nenabled = true\n')
    code, out, err = run(capsys, tmp_path, monkeypatch, "--config", str(config),
                         "sources", "check", "--json")
    assert code == 1
    assert TOKEN not in out + err and "typed-into-the-file" not in out + err
    results = {r["source"]: r for r in json.loads(out)}
    assert results["rss"]["ok"] and "1 feed(s) readable" in results["rss"]["message"]
    assert not results["mastodon"]["ok"] and "401" in results["mastodon"]["message"]
    assert not results["reddit"]["ok"]
    assert "CRISISWATCH_REDDIT_CLIENT_ID" in results["reddit"]["message"]
    assert "CRISISWATCH_WEBHOOK_SECRET" in results["webhook"]["message"]
    assert "unknown source" in results["myspace"]["message"]
    assert any("CRISISWATCH_ZENDESK_API_TOKEN" in w for w in results["zendesk"]["warnings"])

    code, out, _ = run(capsys, tmp_path, monkeypatch, "--config", str(config),
                       "sources", "check", "rss")
    assert code == 0 and out.startswith("ok    rss")


def test_collect_since_backfills_with_health(fake, tmp_path, monkeypatch, capsys):
    fake.route("GET", "/news.rss", Reply(body=rss(ITEMS), content_type="application/rss+xml"))
    config = tmp_path / "c.toml"
    config.write_text(f'[sources.rss]\nfeeds = ["{fake.url}/news.rss"]\nkeywords = ["nimbus"]\n')
    code, out, err = run(capsys, tmp_path, monkeypatch, "--config", str(config), "collect",
                         "--since", "2026-11-21T10:05:00")
    assert code == 0 and "rss        1 new" in out  # a1 (10:00) is before --since
    assert "collecting since 2026-11-21" in err  # the progress bar
    code, out, _ = run(capsys, tmp_path, monkeypatch, "--config", str(config), "collect")
    assert code == 0 and "rss        1 new" in out  # a1 now, a3 already there
    from store import Store

    store = Store("sqlite:///" + str(tmp_path / "cw.db"))
    with store.session() as s:
        assert len(s.execute(select(MentionRow)).all()) == 2
        assert s.get(SourceHealthRow, "rss").last_success_at is not None


def test_configured_collectors_secrets_from_env(monkeypatch, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[sources.x]\nqueries = ["nimbus", "#nimbusdown"]\n')
    token_file = tmp_path / "token"
    token_file.write_text("bearer-from-file\n")
    monkeypatch.setenv("CRISISWATCH_X_BEARER_TOKEN_FILE", str(token_file))
    monkeypatch.delenv("CRISISWATCH_X_BEARER_TOKEN", raising=False)
    monkeypatch.setenv("CRISISWATCH_DATA_DIR", str(tmp_path))
    pairs = configured_collectors(settings.load(str(path)))
    assert [q for _, q in pairs] == ["nimbus", "#nimbusdown"]
    assert pairs[0][0].client.bearer_token == "bearer-from-file"


def test_unknown_source_is_an_error(tmp_path, monkeypatch):
    path = tmp_path / "c.toml"
    path.write_text("[sources.friendster]\n")
    monkeypatch.setenv("CRISISWATCH_DATA_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="unknown source"):
        configured_collectors(settings.load(str(path)))
