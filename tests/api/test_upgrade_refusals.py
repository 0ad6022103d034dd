"""What `db upgrade` says for each kind of statement PostgreSQL refuses when a migration meets
rows written under the old models (runtime.migrations.refusals): the real error of each, from
a real server, gets PostgreSQL's words, the statement and its usual cause."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from runtime.data.db import async_url
from runtime.migrations.refusals import describe

ROWS = (
    "CREATE TEMP TABLE t (a integer, b varchar(9));"
    " CREATE TEMP TABLE u (id integer PRIMARY KEY);"
    " INSERT INTO t VALUES (1, 'x'), (1, '70000'), (70000, 'yy'), (NULL, 'z')"
)
CASES = [
    ("ALTER TABLE t ADD COLUMN c integer NOT NULL", 'column "c" of relation "t" contains null'
     " values", "A required field added to a table that holds rows needs a `default:`"),
    ("ALTER TABLE t ALTER COLUMN a SET NOT NULL", 'column "a" of relation "t" contains null'
     " values", "A field made required while rows have no value in it: fill them in the"
     " revision first"),
    ("CREATE UNIQUE INDEX t_a ON t (a)", 'could not create unique index "t_a" (Key (a)=(1) is'
     " duplicated)",
     "Rows already break the new unique rule"),
    ("ALTER TABLE t ADD CONSTRAINT ck_t_a CHECK (a > 5)", 'check constraint "ck_t_a" of'
     ' relation "t" is violated by some row', "Rows already break the new check"),
    ("ALTER TABLE t ADD FOREIGN KEY (a) REFERENCES u (id)", 'insert or update on table "t"'
     " violates foreign key constraint", "Rows refer to rows that are not there"),
    ("ALTER TABLE t ALTER COLUMN b TYPE varchar(1)", "value too long for type character"
     " varying(1)", "Values are longer than the new length"),
    ("ALTER TABLE t ALTER COLUMN a TYPE smallint", "smallint out of range",
     "Values are out of the new type's range"),
    ("ALTER TABLE t ALTER COLUMN b TYPE integer", 'column "b" cannot be cast automatically to'
     " type integer", "A field's type changed to one its values do not turn into by themselves"),
    ("ALTER TABLE t ALTER COLUMN b TYPE integer USING b::integer", "invalid input syntax for"
     ' type integer: "x"', "Values cannot be read as the new type"),
]  # fmt: skip


@pytest.mark.parametrize(("statement", "words", "cause"), CASES, ids=[c[0] for c in CASES])
async def test_each_refusal_is_its_words_the_statement_and_the_cause(
    database_urls, statement, words, cause
):
    engine = create_async_engine(async_url(database_urls["tenant"]))
    try:
        async with engine.connect() as connection:
            for setup in ROWS.split("; "):
                await connection.execute(text(setup))
            with pytest.raises(DBAPIError) as refused:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()
    said = describe(refused.value)
    assert said.startswith(f"PostgreSQL refused a migration's statement: {words}"), said
    assert f"[{statement}]. {cause}" in said, said


async def test_a_refusal_without_a_known_cause_is_its_words_and_the_statement(database_urls):
    engine = create_async_engine(async_url(database_urls["tenant"]))
    try:
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError) as refused:
                await connection.execute(text("ALTER TABLE no_such_table ADD COLUMN c integer"))
    finally:
        await engine.dispose()
    assert describe(refused.value) == (
        'PostgreSQL refused a migration\'s statement: relation "no_such_table" does not exist'
        " [ALTER TABLE no_such_table ADD COLUMN c integer]"
    )
