"""Helpers shared by the tests, imported as `from tests.support.X import ...` (test modules
never import each other): fake_http (the one fake HTTP server), smtp (a real local SMTP
inbox), mastodon (a Mastodon statuses endpoint for the fake server), feeds (RSS bodies),
collector_support (store queries and crash helpers for collectors), word_model (a word-based
sentiment model), tiny_model (a tiny Hugging Face classifier), embedded_fixture (one real
embedded model per session, for slow tests)."""
