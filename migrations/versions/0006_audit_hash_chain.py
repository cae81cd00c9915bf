"""tamper-evident audit log: a hash chain, server time, no TRUNCATE

Adds ``audit_log.hash``: sha256 of the previous row's hash and the row's own fields in a
canonical form (``studbook.audit.row_hash``), so a row changed, removed or inserted behind
the application's back breaks the chain; ``studbook audit verify`` finds the first broken
row. Existing rows are chained here, in id order.

PostgreSQL only: a BEFORE INSERT trigger sets ``at`` to the server's transaction time
(``now()``), so no client clock is believed; a BEFORE TRUNCATE trigger refuses TRUNCATE
(the row triggers never see it). SQLite has no TRUNCATE (a DELETE without WHERE still runs
the row trigger).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

Frozen history: this file never imports studbook (the hash is a frozen copy of audit.row_hash).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sqlite() -> bool:
    return op.get_context().dialect.name == "sqlite"


def _canon_at(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return str(value.strftime("%Y-%m-%d %H:%M:%S.%f"))


def _canon_json(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = json.loads(value)
        if value is None:  # SQL NULL and JSON null are the same "nothing"
            return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _row_hash(prev: str | None, row: Any) -> str:
    fields = [prev, _canon_at(row.at), row.user, row.command, row.action, row.table_name, row.row_id, row.record,
              _canon_json(row.before), _canon_json(row.after), row.reason]
    data = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()


def _drop_triggers() -> None:
    if _sqlite():
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")


def _create_triggers() -> None:
    if _sqlite():
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    else:
        op.execute("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")


def upgrade() -> None:
    _drop_triggers()
    op.add_column('audit_log', sa.Column('hash', sa.String(length=64), nullable=True))
    bind = op.get_bind()
    prev: str | None = None
    updates: list[dict[str, Any]] = []
    rows = bind.execute(sa.text('SELECT id, at, "user", command, action, table_name, row_id, record, '
                                'before, after, reason FROM audit_log ORDER BY id'))
    for row in rows:
        prev = _row_hash(prev, row)
        updates.append({"h": prev, "i": row.id})
    if updates:
        bind.execute(sa.text("UPDATE audit_log SET hash = :h WHERE id = :i"), updates)
    _create_triggers()
    if not _sqlite():
        op.execute("CREATE FUNCTION audit_log_server_time() RETURNS trigger AS $$ "
                   "BEGIN NEW.at := now(); RETURN NEW; END; $$ LANGUAGE plpgsql")
        op.execute("CREATE TRIGGER audit_log_server_time BEFORE INSERT ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_server_time()")
        op.execute("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()")


def downgrade() -> None:
    if not _sqlite():
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_server_time ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_server_time()")
    _drop_triggers()
    if _sqlite():
        with op.batch_alter_table('audit_log', recreate='always') as batch_op:
            batch_op.drop_column('hash')
    else:
        op.drop_column('audit_log', 'hash')
    _create_triggers()
