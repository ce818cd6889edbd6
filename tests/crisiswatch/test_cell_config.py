"""`[cell]` in the TOML file: the roster per role and the timings, every mistake one line
naming the key (exit 2 through the CLI, like every configuration error)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crisiswatch.config_check import ConfigError
from crisiswatch.settings import load
from responders.cell import CellError, cell_from_config

GOOD = """
[cell]
ack_minutes = 5
fatigue_hours = 6.5
[cell.roles]
commander = { primary = "Ana", deputies = ["Ben", "Chloé"] }
legal = { primary = "Lea" }
"""


def test_a_roster_is_read_in_role_order(tmp_path, monkeypatch):
    monkeypatch.setenv("CRISISWATCH_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "c.toml"
    path.write_text(GOOD, encoding="utf-8")
    cell = cell_from_config(load(str(path)).cell)
    assert cell.roster == {"commander": ("Ana", "Ben", "Chloé"), "legal": ("Lea",)}
    assert (cell.ack_after, cell.fatigue_after) == (timedelta(minutes=5),
                                                   timedelta(hours=6.5))
    assert cell_from_config({}).roster == {}  # no [cell]: nobody is paged


@pytest.mark.parametrize(("toml", "line"), [
    ('[cell.roles]\nchef = { primary = "Ana" }', "cell.roles.chef: unknown role; one of"),
    ('[cell.roles]\nlegal = { deputies = ["Ben"] }', "cell.roles.legal.primary: missing"),
    ('[cell.roles]\nlegal = { primary = "Lea", deputies = "Ben" }',
     "cell.roles.legal.deputies: expected a list of names"),
    ('[cell.roles]\nlegal = { primary = "Lea", deputy = ["Ben"] }',
     "cell.roles.legal: unknown keys deputy"),
    ('[cell]\nack_minutes = 0', "cell.ack_minutes: expected a number of at least 1"),
    ('[cell]\nfatigue_hours = true', "cell.fatigue_hours: expected a number"),
    ('cell = 3', "cell: expected a table"),
])
def test_each_mistake_is_one_line(tmp_path, monkeypatch, toml, line):
    monkeypatch.setenv("CRISISWATCH_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "c.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load(str(path))
    assert [x for x in caught.value.lines if x.startswith(line)], caught.value.lines
    with pytest.raises(CellError):
        cell_from_config({"roles": {"chef": {"primary": "Ana"}}})
