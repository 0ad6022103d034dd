"""Alembic environment; the shared logic lives in runtime.migrations."""

from alembic import context

from runtime.migrations import run_env

run_env(context)
