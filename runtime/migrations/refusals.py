"""What `cxg-gen db upgrade` (and `serve`, which migrates) says when PostgreSQL refuses a
statement of a migration: the database's own words, the statement, and what the usual cause
is, instead of a traceback. The upgrade of one database runs in one transaction, so nothing of
it is applied (runtime.migrations.run_env)."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from runtime.data.pgerror import driver_error, sqlstate

# SQLSTATE -> the usual cause, when a migration meets rows written under the old models
CAUSES = {
    "23502": "a required field added to a table that holds rows needs a `default:` in its spec"
    " (then `cxg-gen build`, delete the revision that failed and write it again with"
    " `cxg-gen db revision`); or add it with `required: false`, fill it in, and make it"
    " required in a later revision",
    "23505": "rows already break the new unique rule: make them unique first",
    "23514": "rows already break the new check: correct them first",
    "23503": "rows refer to rows that are not there: correct or remove them first",
    "22001": "values are longer than the new length: shorten them first",
    "22003": "values are out of the new type's range: correct them first",
    "22P02": "values cannot be read as the new type: convert them in the revision"
    " (`postgresql_using=`) or correct them first",
    "42804": "a field's type changed to one its values do not turn into by themselves: say how"
    ' in the revision (`postgresql_using="<column>::<new type>"` on its `alter_column`)',
}

# 23502 on a column that was there: a field made required while old rows have no value in it
MADE_REQUIRED = (
    "a field made required while rows have no value in it: fill them in the revision first"
    ' (`op.execute("UPDATE ...")` before the change)'
)


def describe(exc: DBAPIError) -> str:
    """One paragraph: PostgreSQL's message and detail (which rows), the statement it refused,
    the usual cause."""
    orig = exc.orig
    message = str(orig).strip() if orig is not None else str(exc)
    state = sqlstate(exc) or ""
    statement = " ".join((exc.statement or "").split())
    words = f"PostgreSQL refused a migration's statement: {message}"
    detail = getattr(driver_error(exc), "detail", None)  # the rows it met
    if detail:
        words += f" ({str(detail).rstrip('.')})"
    if statement:
        words += f" [{statement}]"
    cause = CAUSES.get(state)
    if state == "23502" and "ADD COLUMN" not in statement.upper():
        cause = MADE_REQUIRED
    return f"{words}. {cause[0].upper()}{cause[1:]}" if cause else words
