"""`crisiswatch contacts import|list|export|opt-out|delete` and `crisiswatch broadcasts
send|approve|status` end to end on a SQLite file (issue 18)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from crisiswatch import cli

CSV = """name,segments,email,phone,lang,tz,organisation,owner
Ana Martin,staff;on-call,ana@nimbus.example,+33 6 00 00 00 01,fr,Europe/Paris,Nimbus,
Ben Ode,staff,ben@nimbus.example,,en,UTC,Nimbus,
Ben Again,staff,BEN@nimbus.example,,en,UTC,Nimbus,
Zed,board,zed@nimbus.example,,xx,UTC,,
"""


def run(capsys, tmp_path, monkeypatch, *argv):
    monkeypatch.setenv("CRISISWATCH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CRISISWATCH_DATABASE_URL", "sqlite:///" + str(tmp_path / "cw.db"))
    monkeypatch.delenv("CRISISWATCH_CONFIG", raising=False)
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_reports_refusals_and_exits_1(tmp_path, monkeypatch, capsys):
    path = tmp_path / "contacts.csv"
    path.write_text(CSV, encoding="utf-8")
    code, out, _ = run(capsys, tmp_path, monkeypatch, "contacts", "import", str(path))
    assert code == 1
    assert out.splitlines() == [
        "2 added, 0 updated, 0 unchanged, 2 refused",
        "line 4 (Ben Again): refused: duplicate of line 3 (same e-mail or phone)",
        "line 5 (Zed): refused: language 'xx' not supported (en, fr)"]
    code, out, _ = run(capsys, tmp_path, monkeypatch, "contacts", "import", str(path), "--json")
    assert code == 1 and json.loads(out)["unchanged"] == 2
    code, out, _ = run(capsys, tmp_path, monkeypatch, "contacts", "list", "--json")
    assert [c["name"] for c in json.loads(out)] == ["Ana Martin", "Ben Ode"]


def test_bad_file_exits_2_and_imports_nothing(tmp_path, monkeypatch, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("who\nAna\n", encoding="utf-8")
    code, _, err = run(capsys, tmp_path, monkeypatch, "contacts", "import", str(bad))
    assert code == 2 and "missing column(s) name, segments" in err
    code, _, err = run(capsys, tmp_path, monkeypatch, "contacts", "import",
                       str(tmp_path / "absent.csv"))
    assert code == 2 and "cannot read" in err


def test_export_opt_out_delete_and_a_broadcast(tmp_path, monkeypatch, capsys):
    path = tmp_path / "contacts.csv"
    path.write_text(CSV, encoding="utf-8")
    run(capsys, tmp_path, monkeypatch, "contacts", "import", str(path))
    code, out, _ = run(capsys, tmp_path, monkeypatch, "contacts", "export", "+33600000001")
    assert code == 0 and json.loads(out)["contact"]["name"] == "Ana Martin"
    code, out, _ = run(capsys, tmp_path, monkeypatch, "contacts", "opt-out", "ben@nimbus.example")
    assert code == 0 and "opted out" in out
    message = tmp_path / "msg.txt"
    now = datetime.now(UTC)  # the command sends at the wall clock; the promise is today
    later = min(now + timedelta(hours=2), now.replace(hour=23, minute=59))
    message.write_text("We are investigating an outage of the API. We are restoring service. "
                       f"Next update by {later:%H:%M} UTC.", encoding="utf-8")
    code, out, err = run(capsys, tmp_path, monkeypatch, "broadcasts", "send", str(message),
                         "--segment", "staff", "--author", "ed", "--role", "editor",
                         "--severity", "major")
    assert code == 0, err
    assert out.startswith("broadcast #1 waiting for approval (draft #1)")
    code, _, err = run(capsys, tmp_path, monkeypatch, "broadcasts", "approve", "1",
                       "--approver", "ed", "--role", "editor")
    assert code == 1 and "only an approver or admin" in err
    code, out, _ = run(capsys, tmp_path, monkeypatch, "broadcasts", "status", "--json")
    assert json.loads(out) == []  # nobody is a recipient before the approval
    code, out, err = run(capsys, tmp_path, monkeypatch, "broadcasts", "approve", "1",
                         "--approver", "lead", "--reason", "drill")
    assert code == 0 and "approved by lead" in out, err
    code, out, err = run(capsys, tmp_path, monkeypatch, "worker", "--stages", "broadcast",
                         "--once")
    assert code == 0, err
    code, out, _ = run(capsys, tmp_path, monkeypatch, "broadcasts", "status", "--json")
    assert [(r["segment"], r["recipients"], r["sent"]) for r in json.loads(out)] == [
        ("staff", 1, 1)]  # Ben opted out; Ana's SMS went to the outbox log
    code, out, _ = run(capsys, tmp_path, monkeypatch, "contacts", "delete", "1")
    assert code == 0 and "deleted" in out
    code, _, err = run(capsys, tmp_path, monkeypatch, "contacts", "export", "1")
    assert code == 2 and "no contact" in err
    code, _, err = run(capsys, tmp_path, monkeypatch, "broadcasts", "send", str(message),
                       "--segment", "staff", "--approver", "ed", "--role", "editor")
    assert code == 1 and "only an approver or admin" in err
    from sqlalchemy import func, select

    from store import Store
    from store.models import BroadcastRow, DraftRow

    store = Store("sqlite:///" + str(tmp_path / "cw.db"))
    with store.session() as session:  # refused: neither queued nor approved
        assert session.execute(select(func.count()).select_from(BroadcastRow)).scalar_one() == 1
        assert session.execute(select(func.count()).select_from(DraftRow)).scalar_one() == 1
    store.engine.dispose()


def test_regulator_clock_from_the_command_line(tmp_path, monkeypatch, capsys):
    from responders.incidents import declare
    from store import Store

    run(capsys, tmp_path, monkeypatch, "contacts", "list")  # creates the database
    store = Store("sqlite:///" + str(tmp_path / "cw.db"))
    with store.session() as session:
        declare(session, title="Data exposed", crisis_type="data_leak", severity="major",
                actor="lead", now=datetime(2026, 3, 10, 10, 0))
    store.engine.dispose()
    code, out, _ = run(capsys, tmp_path, monkeypatch, "regulator", "start", "--incident", "1",
                       "--aware", "2026-03-10T08:00:00+01:00", "--json")
    assert code == 0 and json.loads(out)["due_at"] == "2026-03-13T07:00:00"
    code, _, err = run(capsys, tmp_path, monkeypatch, "regulator", "notified", "--incident", "1")
    assert code == 1 and "lacks: nature of the breach" in err
    for item in ("nature", "people", "records", "consequences", "measures", "contact"):
        assert run(capsys, tmp_path, monkeypatch, "regulator", "set", "--incident", "1", item,
                   f"our {item}")[0] == 0
    code, out, _ = run(capsys, tmp_path, monkeypatch, "regulator", "notice", "--incident", "1",
                       "--lang", "fr")
    assert code == 0 and "Ce qui s'est passé\u00a0: our nature" in out  # French typography
    code, out, _ = run(capsys, tmp_path, monkeypatch, "regulator", "notified", "--incident", "1",
                       "--json")
    assert code == 0 and json.loads(out)["state"] == "notified"
