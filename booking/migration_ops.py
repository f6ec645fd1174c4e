"""Operations the Alembic migrations share (imported by migrations/versions/*; keep them stable)."""

from alembic import op


def drop_columns(table: str, *columns: str) -> None:
    """Drop columns on either database.

    SQLite: its native DROP COLUMN; a batch rebuild would DROP TABLE, which foreign keys forbid once rows
    refer to it (and would lose the `resource` table's full-text-search triggers).
    """
    if op.get_bind().dialect.name == "sqlite":
        for column in columns:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    else:
        for column in columns:
            op.drop_column(table, column)
