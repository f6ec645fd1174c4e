"""facility text search

resource.search_text: the search document the application writes on every save of a facility
(booking.services.search). Indexed by trigrams so that Chinese without spaces and partial words are
found: PostgreSQL a pg_trgm GIN index; SQLite an FTS5 table with the trigram tokenizer (SQLite 3.34+)
over the column, kept in step by triggers. Existing rows get a plain document (names, descriptions,
campus, address) until they are next saved or `flask --app booking reindex-search` runs.

"""
from alembic import op
import sqlalchemy as sa

from booking.migration_ops import drop_columns


revision = 'a14c0ffee001'
down_revision = 'e5a7d3c90b14'


def upgrade():
    op.add_column('resource', sa.Column('search_text', sa.Text(), nullable=False, server_default=''))
    op.execute(
        "UPDATE resource SET search_text = lower(name_zh || ' ' || name_en || ' ' || description_zh"
        " || ' ' || description_en || ' ' || campus || ' ' || address)"
    )
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_resource_search_text_trgm ON resource USING gin (search_text gin_trgm_ops)"
        )
    elif dialect == 'sqlite':
        op.execute(
            "CREATE VIRTUAL TABLE resource_search USING fts5("
            "search_text, content='resource', content_rowid='id', tokenize='trigram')"
        )
        op.execute(
            "CREATE TRIGGER resource_search_insert AFTER INSERT ON resource BEGIN "
            "INSERT INTO resource_search(rowid, search_text) VALUES (new.id, new.search_text); END"
        )
        op.execute(
            "CREATE TRIGGER resource_search_delete AFTER DELETE ON resource BEGIN "
            "INSERT INTO resource_search(resource_search, rowid, search_text) "
            "VALUES ('delete', old.id, old.search_text); END"
        )
        op.execute(
            "CREATE TRIGGER resource_search_update AFTER UPDATE OF search_text ON resource BEGIN "
            "INSERT INTO resource_search(resource_search, rowid, search_text) "
            "VALUES ('delete', old.id, old.search_text); "
            "INSERT INTO resource_search(rowid, search_text) VALUES (new.id, new.search_text); END"
        )
        op.execute("INSERT INTO resource_search(resource_search) VALUES ('rebuild')")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_resource_search_text_trgm")
    elif dialect == 'sqlite':
        for trigger in ('resource_search_insert', 'resource_search_delete', 'resource_search_update'):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS resource_search")
    drop_columns('resource', 'search_text')
