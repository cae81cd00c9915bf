"""users and roles, login sessions, pending updates; row-level security on PostgreSQL

Adds ``app_user`` (name, role, argon2id hash, active, failed logins, locked until),
``user_institution`` (a registrar's institutions), ``login_session`` (hash of a web token)
and ``pending_update`` (a registrar's write waiting for the keeper). ``audit_log.action``
may also be ``deny`` (a refused write, recorded with the real user).

PostgreSQL only: row-level security on ``animal``, ``event`` and ``institution``, keyed
on the application user of the transaction (``set_config('studbook.user', name, true)``,
set by ``db.session_scope``) and the user -> institutions mapping of ``app_user`` /
``user_institution`` (read by SECURITY DEFINER functions, so the application role needs
no access to them for the policies). Everyone may read; a keeper and a coordinator may
write; a registrar may insert animals, and write events at or from an own institution and
animals with a holding at an own institution; a reader nothing. An empty ``app_user``
table means "no users yet": everyone is the keeper (the bootstrap rule of the app).
UPDATE, DELETE and TRUNCATE of ``audit_log`` are revoked from PUBLIC; ``studbook db
grant-app-role`` grants the application role INSERT and SELECT on it only. Table owners
and superusers bypass these policies: the application runs as a non-owner role.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Frozen history: this file never imports studbook.models.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RLS_TABLES = ("animal", "event", "institution")


def _sqlite() -> bool:
    return op.get_context().dialect.name == "sqlite"


def upgrade() -> None:
    op.create_table(
        'app_user',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('role', sa.String(length=12), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('failed_logins', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=120), nullable=False),
        sa.CheckConstraint("role IN ('keeper','coordinator','registrar','reader')", name=op.f('ck_app_user_role')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
        sa.UniqueConstraint('name', name=op.f('uq_app_user_name')),
    )
    op.create_table(
        'user_institution',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_user_institution_user_id_app_user'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['institution_id'], ['institution.id'],
                                name=op.f('fk_user_institution_institution_id_institution')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_institution')),
        sa.UniqueConstraint('user_id', 'institution_id', name='uq_user_institution_pair'),
    )
    op.create_index(op.f('ix_user_institution_user_id'), 'user_institution', ['user_id'], unique=False)
    op.create_table(
        'login_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_login_session_user_id_app_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_session')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_login_session_token_hash')),
    )
    op.create_index(op.f('ix_login_session_user_id'), 'login_session', ['user_id'], unique=False)
    op.create_table(
        'pending_update',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('parameters', sa.JSON(), nullable=False),
        sa.Column('record', sa.String(length=64), nullable=True),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('requested_by', sa.String(length=120), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('decided_by', sa.String(length=120), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('pending','approved','rejected')", name=op.f('ck_pending_update_status')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_update')),
    )
    op.create_index(op.f('ix_pending_update_record'), 'pending_update', ['record'], unique=False)
    _audit_actions("'insert','update','delete','deny'")
    if not _sqlite():
        _create_rls()


def downgrade() -> None:
    if not _sqlite():
        _drop_rls()
    _audit_actions("'insert','update','delete'", drop_rows="deny")
    op.drop_index(op.f('ix_pending_update_record'), table_name='pending_update')
    op.drop_table('pending_update')
    op.drop_index(op.f('ix_login_session_user_id'), table_name='login_session')
    op.drop_table('login_session')
    op.drop_index(op.f('ix_user_institution_user_id'), table_name='user_institution')
    op.drop_table('user_institution')
    op.drop_table('app_user')


# --- audit_log.action -------------------------------------------------------------------

def _audit_actions(values: str, drop_rows: str | None = None) -> None:
    """Change the CHECK on audit_log.action; the append-only triggers are dropped and made again
    around it (SQLite rebuilds the table). Going down, the rows of a removed action go too."""
    _drop_audit_triggers()
    if drop_rows:
        op.execute(sa.text("DELETE FROM audit_log WHERE action = :a").bindparams(a=drop_rows))
    if _sqlite():
        with op.batch_alter_table('audit_log', recreate='always') as batch_op:
            batch_op.drop_constraint(op.f('ck_audit_log_action'), type_='check')
            batch_op.create_check_constraint('action', f"action IN ({values})")
    else:
        op.drop_constraint(op.f('ck_audit_log_action'), 'audit_log', type_='check')
        op.create_check_constraint('action', 'audit_log', f"action IN ({values})")
    _create_audit_triggers()


def _create_audit_triggers() -> None:
    if _sqlite():
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    else:
        op.execute("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")


def _drop_audit_triggers() -> None:
    if _sqlite():
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")


# --- PostgreSQL row-level security ------------------------------------------------------

_FUNCTIONS = [
    # The role of the transaction's application user; 'keeper' while the book has no users.
    """CREATE FUNCTION studbook_actor_role() RETURNS text
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
         SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM app_user) THEN 'keeper'
                     ELSE (SELECT role FROM app_user
                           WHERE name = current_setting('studbook.user', true) AND active) END
       $$""",
    """CREATE FUNCTION studbook_actor_institutions() RETURNS integer[]
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
         SELECT coalesce(array_agg(ui.institution_id), '{}'::integer[])
         FROM user_institution ui JOIN app_user u ON u.id = ui.user_id
         WHERE u.name = current_setting('studbook.user', true) AND u.active
       $$""",
    # An event row may be written by a registrar when it is at or from an own institution.
    """CREATE FUNCTION studbook_may_write_event(inst integer, from_inst integer) RETURNS boolean
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
         SELECT CASE studbook_actor_role()
           WHEN 'keeper' THEN true WHEN 'coordinator' THEN true
           WHEN 'registrar' THEN coalesce(inst = ANY(studbook_actor_institutions()), false)
                              OR coalesce(from_inst = ANY(studbook_actor_institutions()), false)
           ELSE false END
       $$""",
    # An animal row may be written by a registrar while it has no events yet (being
    # registered) or when one of its live events is at or from an own institution.
    """CREATE FUNCTION studbook_may_write_animal(aid integer) RETURNS boolean
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
         SELECT CASE studbook_actor_role()
           WHEN 'keeper' THEN true WHEN 'coordinator' THEN true
           WHEN 'registrar' THEN
             NOT EXISTS (SELECT 1 FROM event e WHERE e.animal_id = aid AND NOT e.void)
             OR EXISTS (SELECT 1 FROM event e WHERE e.animal_id = aid AND NOT e.void
                        AND (e.institution_id = ANY(studbook_actor_institutions())
                             OR e.from_institution_id = ANY(studbook_actor_institutions())))
           ELSE false END
       $$""",
]

_POLICIES = {
    "animal": [
        "CREATE POLICY studbook_read ON animal FOR SELECT USING (true)",
        "CREATE POLICY studbook_insert ON animal FOR INSERT "
        "WITH CHECK (studbook_actor_role() IN ('keeper','coordinator','registrar'))",
        "CREATE POLICY studbook_update ON animal FOR UPDATE USING (studbook_may_write_animal(id)) WITH CHECK (true)",
        "CREATE POLICY studbook_delete ON animal FOR DELETE USING (studbook_actor_role() = 'keeper')",
    ],
    "event": [
        "CREATE POLICY studbook_read ON event FOR SELECT USING (true)",
        "CREATE POLICY studbook_insert ON event FOR INSERT "
        "WITH CHECK (studbook_may_write_event(institution_id, from_institution_id))",
        "CREATE POLICY studbook_update ON event FOR UPDATE "
        "USING (studbook_may_write_event(institution_id, from_institution_id)) "
        "WITH CHECK (studbook_may_write_event(institution_id, from_institution_id))",
        "CREATE POLICY studbook_delete ON event FOR DELETE USING (studbook_actor_role() = 'keeper')",
    ],
    "institution": [
        "CREATE POLICY studbook_read ON institution FOR SELECT USING (true)",
        "CREATE POLICY studbook_write ON institution FOR ALL "
        "USING (studbook_actor_role() = 'keeper') WITH CHECK (studbook_actor_role() = 'keeper')",
    ],
}


def _create_rls() -> None:
    for sql in _FUNCTIONS:
        op.execute(sql)
    for table, policies in _POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        for sql in policies:
            op.execute(sql)
    # History cannot be rewritten by anyone but the owner (whose triggers still refuse it).
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC")


def _drop_rls() -> None:
    for table, policies in _POLICIES.items():
        for sql in policies:
            name = sql.split()[2]
            op.execute(f"DROP POLICY IF EXISTS {name} ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    for name in ("studbook_may_write_animal(integer)", "studbook_may_write_event(integer, integer)",
                 "studbook_actor_institutions()", "studbook_actor_role()"):
        op.execute(f"DROP FUNCTION IF EXISTS {name}")
