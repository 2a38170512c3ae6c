"""Cash sessions (shifts), their events, the audit log and the PIN sign-in guard.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07

All of it is this till's own record (issue 5), so it lives in the till file beside the sales it
counts. The audit log is append-only: triggers refuse UPDATE and DELETE, so no code path (nor a
person with the sqlite3 shell who does not drop the triggers first) rewrites history.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STATEMENTS = (
    # One row per shift. z_report is the cash.session payload, written at the close.
    """CREATE TABLE cash_session (
        id VARCHAR NOT NULL PRIMARY KEY,
        opened_at VARCHAR NOT NULL,
        opened_by VARCHAR NOT NULL,
        currency VARCHAR NOT NULL,
        float_count TEXT NOT NULL,
        closed_at VARCHAR,
        closed_by VARCHAR,
        approved_by VARCHAR,
        z_report TEXT,
        CONSTRAINT ck_cash_session_closed CHECK ((closed_at IS NULL) = (z_report IS NULL)))""",
    # At most one open session per till, whatever a crash or a second process does.
    "CREATE UNIQUE INDEX ux_cash_session_open ON cash_session ((closed_at IS NULL)) WHERE closed_at IS NULL",
    "CREATE INDEX ix_cash_session_closed_at ON cash_session (closed_at)",
    # What happened in a session, in order: the session is rebuilt from these on every read.
    """CREATE TABLE cash_event (
        id VARCHAR NOT NULL PRIMARY KEY,
        session_id VARCHAR NOT NULL REFERENCES cash_session (id),
        position INTEGER NOT NULL,
        kind VARCHAR NOT NULL,
        at VARCHAR NOT NULL,
        staff_id VARCHAR,
        reason TEXT,
        ref VARCHAR,
        amounts TEXT NOT NULL,
        CONSTRAINT uq_cash_event_position UNIQUE (session_id, position),
        CONSTRAINT ck_cash_event_kind CHECK (kind IN ('sale', 'refund', 'pay_in', 'pay_out', 'drop')))""",
    """CREATE TABLE audit_log (
        id VARCHAR NOT NULL PRIMARY KEY,
        at VARCHAR NOT NULL,
        staff_id VARCHAR,
        action VARCHAR NOT NULL,
        subject TEXT,
        before TEXT,
        after TEXT,
        reason TEXT,
        approved_by VARCHAR)""",
    "CREATE INDEX ix_audit_log_at ON audit_log (at)",
    "CREATE INDEX ix_audit_log_staff_at ON audit_log (staff_id, at)",
    "CREATE INDEX ix_audit_log_action_at ON audit_log (action, at)",
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    # Wrong PINs per staff member, so the limit survives a restart of the app.
    """CREATE TABLE sign_in_guard (
        staff_id VARCHAR NOT NULL PRIMARY KEY,
        failures INTEGER NOT NULL,
        locked_until VARCHAR)""",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for table in ("sign_in_guard", "audit_log", "cash_event", "cash_session"):
        op.execute(f"DROP TABLE {table}")
