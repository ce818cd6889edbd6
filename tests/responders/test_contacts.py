"""Contacts and segments (issue 18): CSV import with validation, de-duplication and a report
of refused rows; opt-out that a re-import cannot undo; export and erasure per contact."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from responders.contacts import (
    ContactError,
    delete_contact,
    export_contact,
    find_contact,
    import_csv,
    in_segments,
    normalise_phone,
    opt_out,
)
from store.models import ContactRow

T0 = datetime(2026, 3, 10, 10, 0)

CSV = """name,segments,email,phone,lang,tz,organisation,owner
Ana Martin,staff;on-call,Ana@Nimbus.example,+33 6 00 00 00 01,fr,Europe/Paris,Nimbus,
Ben Ode,staff,ben@nimbus.example,,en,UTC,Nimbus,
Carla Key,key accounts;customers,carla@bigco.example,0044 7700 900123,en,Europe/London,BigCo,Dana
,staff,nobody@nimbus.example,,en,UTC,,
Eve Wrong,staff;astronauts,eve@nimbus.example,,en,UTC,,
Fay Bad,customers,not-an-email,06 12 34 56 78,de,Mars/Olympus,,
Gus Again,staff,ANA@nimbus.example,,en,UTC,,
Hal Nokey,key-accounts,hal@acme.example,,en,UTC,Acme,
Ivy Noway,staff,,,en,UTC,,
"""


def test_phone_numbers_are_normalised_to_e164():
    assert normalise_phone("+33 6 00 00 00 01") == "+33600000001"
    assert normalise_phone("0044 7700 900123") == "+447700900123"
    assert normalise_phone("+1 (555) 010-0199") == "+15550100199"
    assert normalise_phone("06 12 34 56 78") is None  # no country: refused, not guessed
    assert normalise_phone("+33 6 abc") is None
    assert normalise_phone("+12") is None


def test_import_validates_deduplicates_and_reports_refusals(store):
    with store.session() as session:
        report = import_csv(session, CSV, T0)
    assert (report.added, report.updated, report.unchanged) == (3, 0, 0)
    refused = {r.line: r.reasons for r in report.refused}
    assert sorted(refused) == [5, 6, 7, 8, 9, 10]
    assert refused[5] == ["no name"]
    assert "unknown segment(s) astronauts" in refused[6][0]
    reasons = " | ".join(refused[7])
    for expected in ("invalid e-mail", "invalid phone", "language 'de'", "unknown time zone"):
        assert expected in reasons
    assert refused[8] == ["duplicate of line 2 (same e-mail or phone)"]
    assert refused[9] == ["a key account needs an owner (its account manager)"]
    assert refused[10] == ["no way to reach them (e-mail, phone or slack)"]
    assert report.lines()[0] == "3 added, 0 updated, 0 unchanged, 6 refused"
    assert report.lines()[1].startswith("line 5 (no name): refused: no name")
    with store.session() as session:
        ana = find_contact(session, "ana@nimbus.example")
        assert (ana.name, ana.phone, ana.lang, ana.tz, ana.segments) == (
            "Ana Martin", "+33600000001", "fr", "Europe/Paris", ["staff", "on-call"])
        carla = find_contact(session, "+447700900123")
        assert (carla.segments, carla.owner) == (["key-accounts", "customers"], "Dana")
        assert [c.name for c in in_segments(session, ["staff"])] == ["Ana Martin", "Ben Ode"]


def test_reimport_updates_in_place_and_never_lifts_an_opt_out(store):
    with store.session() as session:
        import_csv(session, CSV, T0)
        opt_out(session, find_contact(session, "ben@nimbus.example"), T0)
    again = CSV.replace("Ben Ode,staff,", "Ben Ode,staff;management,")
    with store.session() as session:
        report = import_csv(session, again, T0)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 2)
    with store.session() as session:
        ben = find_contact(session, "ben@nimbus.example")
        assert ben.segments == ["staff", "management"] and ben.opted_out_at == T0
        assert [c.name for c in in_segments(session, ["management"])] == []
        assert session.execute(select(func.count()).select_from(ContactRow)).scalar_one() == 3


def test_a_file_with_wrong_columns_is_refused_whole(store):
    with store.session() as session, pytest.raises(ContactError, match="missing column"):
        import_csv(session, "who,email\nAna,ana@x.example\n", T0)
    with store.session() as session, pytest.raises(ContactError, match="unknown column"):
        import_csv(session, "name,segments,password\nAna,staff,hunter2\n", T0)


def test_export_and_delete_one_contact(store):
    with store.session() as session:
        import_csv(session, CSV, T0)
    with store.session() as session:
        ana = find_contact(session, "ana@nimbus.example")
        data = export_contact(session, ana)
        assert data["contact"]["email"] == "ana@nimbus.example"
        assert data["contact"]["created_at"] == T0.isoformat() and data["broadcasts"] == []
        delete_contact(session, ana)
    with store.session() as session:
        assert find_contact(session, "ana@nimbus.example") is None
        assert session.execute(select(func.count()).select_from(ContactRow)).scalar_one() == 2
