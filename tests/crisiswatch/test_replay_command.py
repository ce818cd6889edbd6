"""`crisiswatch replay FILE --brand NAME [--handle ...] [--onset ISO] --json`: a recorded
stream through every stage, headless, in the recording's own time."""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from collectors.base import CollectorError
from collectors.replay import ReplayCollector, recorded_at, stable_id
from crisiswatch.pipeline import Pipeline
from crisiswatch.replay_command import replay
from crisiswatch.settings import Settings
from responders.channels.statuspage import StatusPageChannel
from responders.drafts import Brand
from sentiment.scorer import Scorer
from tests.support.word_model import WordModel

T0 = datetime(2026, 3, 1, tzinfo=UTC)
ONSET = T0 + timedelta(days=8, hours=10)
CALM = ["Nimbus app is fine today", "anyone using Nimbus for photos?",
        "Nimbus sync works great", "question about Nimbus pricing"]
ANGRY = ["Nimbus is down, can't log in!!", "Nimbus login broken again, useless",
         "is Nimbus down for everyone? not working"]
REPLY = "@someone Sorry to hear that, please DM us your account email so we can look into it"


def stream(seed: int = 3) -> list[dict]:
    """Ten days at about 20 posts a day; on day 5 the brand answers 29 people with one
    sentence; from ONSET 45 complaints in an hour (a low-volume brand's outage)."""
    rng = random.Random(seed)
    rows = [{"created_at": T0 + timedelta(days=d, hours=rng.uniform(7, 23)),
             "text": rng.choice(CALM), "author": f"u{rng.randrange(1000)}"}
            for d in range(10) for _ in range(rng.randint(15, 25))]
    rows += [{"created_at": T0 + timedelta(days=5, hours=14, minutes=i), "text": REPLY,
              "author": "NimbusHQ"} for i in range(29)]
    rows += [{"created_at": ONSET + timedelta(minutes=rng.uniform(0, 60)),
              "text": rng.choice(ANGRY), "author": f"u{rng.randrange(1000)}"}
             for _ in range(45)]
    rng.shuffle(rows)
    return rows


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps({**r, "created_at": r["created_at"].isoformat()
                                        .replace("+00:00", "Z")}) + "\n" for r in rows))
    return path


def app_for(store, tmp_path):
    settings = Settings()
    settings.data_dir = tmp_path

    def pipeline(collectors):
        return Pipeline(store=store, collectors=collectors, scorer=Scorer(WordModel()),
                        channels={"statuspage": StatusPageChannel(store)}, brand=Brand())
    return SimpleNamespace(store=store, settings=settings, pipeline=pipeline)


def test_replay_alerts_on_the_outage_and_never_on_the_brands_own_replies(store, tmp_path):
    path = write_jsonl(tmp_path / "stream.jsonl", stream())
    result = replay(app_for(store, tmp_path), ReplayCollector(path, default_source="x"),
                    brand="Nimbus", handles=("@nimbushq",), onset=ONSET.replace(tzinfo=None))
    assert result["mentions"] == result["scored"] == 264
    assert result["alerts_before_onset"] == 0, result["alert_list"]
    assert 0 <= result["first_alert_after_onset_s"] <= 30 * 60
    # one alert: the day window still holds the 45 posts for a day, but a crisis already
    # raised is not raised again on its tail (it warned again 12 and 22 hours later)
    assert result["alerts"] == 1, result["alert_list"]
    first = result["alert_list"][0]
    assert first["opened_at"].endswith("Z") and "mentions" in first["kinds"]
    assert result["stage_errors"] == {}


def test_without_the_handle_the_brands_replies_count_as_the_crowd(sqlite_store, tmp_path):
    """The same stream without --handle: the 29 identical replies raise an alert before the
    onset, which is why the brand's own voice must be named."""
    path = write_jsonl(tmp_path / "stream.jsonl", stream())
    result = replay(app_for(sqlite_store, tmp_path), ReplayCollector(path, default_source="x"),
                    brand="Nimbus", onset=ONSET.replace(tzinfo=None))
    assert result["alerts_before_onset"] >= 1


def test_csv_with_unix_seconds_and_no_id_gets_stable_ids(sqlite_store, tmp_path):
    path = tmp_path / "posts.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["created_at", "text", "author"])
        for i in range(30):
            w.writerow([int((T0 + timedelta(minutes=10 * i)).timestamp()),
                        f"Nimbus post {i}", f"u{i}"])
        w.writerow(["not a time", "Nimbus broken row", "u99"])
    collector = ReplayCollector(path, default_source="x", default_lang="fr")
    result = replay(app_for(sqlite_store, tmp_path), collector, brand="Nimbus")
    assert result["mentions"] == 30 and result["quarantined"] == 1
    assert "first_alert_after_onset_s" not in result  # no --onset
    rec = {"created_at": "1700000000", "text": "x", "author": "a"}
    assert stable_id(rec) == stable_id(dict(rec)) != stable_id({**rec, "text": "y"})
    assert recorded_at("1700000000") == recorded_at(1700000000) == datetime(2023, 11, 14, 22, 13, 20)
    assert recorded_at("2026-03-01T10:00:00+01:00") == datetime(2026, 3, 1, 9, 0)


def test_a_file_with_no_readable_post_is_a_clear_error(sqlite_store, tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text('{"text": "no time"}\n')
    with pytest.raises(CollectorError, match="no readable post"):
        replay(app_for(sqlite_store, tmp_path), ReplayCollector(path), brand="Nimbus")
