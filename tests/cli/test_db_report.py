"""`cxg-gen db check` names each difference on its own line, under its table."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, text

from runtime.migrations.report import describe


def test_differences_are_grouped_by_table_one_per_line():
    metadata = MetaData()
    users = Table(
        "users", metadata, Column("id", Integer), Column("email", String(200)), schema="idam"
    )
    codes = Table("codes", metadata, Column("code", String(50)), schema="adm")
    diffs = [
        (
            "add_column",
            "idam",
            "users",
            Column("version", Integer, nullable=False, server_default=text("1")),
        ),
        ("remove_index", Index("ix_codes_code", codes.c.code, unique=True)),
        [("modify_nullable", "idam", "users", "email", {}, True, False)],
        ("add_table", users),
    ]
    report = describe(diffs)
    lines = report.splitlines()
    assert lines[2:] == [
        "  adm.codes",
        "    - unique index ix_codes_code (code)",
        "  idam.users",
        "    + column version INTEGER NOT NULL DEFAULT 1",
        "    + table (2 columns)",
        "    ~ column email: nullable True -> False",
    ]
