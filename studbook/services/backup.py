"""Backup and restore of a whole book (``studbook backup FILE`` / ``studbook restore FILE``).

* SQLite: the online backup API of SQLite (``sqlite3.Connection.backup``), which copies a
  consistent snapshot of a live database, write-ahead log included, page by page, while
  other connections keep working. A plain ``cp`` of a live WAL-mode book can lose committed
  writes that are still in the ``-wal`` file; this does not. The backup is itself a SQLite
  book file.
* PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot, the server's own
  format) and ``pg_restore`` into an empty database. Both programs come with the
  PostgreSQL client (Debian: ``postgresql-client``); the password, if any, is passed in the
  ``PGPASSWORD`` environment variable, never on the command line.

``restore`` only writes into an empty database (no studbook schema yet) and then migrates
the restored book to the schema of this studbook (a backup taken by an older version
restores and upgrades). A backup of one kind restores only into a database of the same
kind; to move a book between SQLite and PostgreSQL use ``export book DIR`` then
``init --from-folder DIR`` (docs/backup.md).

Every file is written under a temporary name in the target folder and renamed into place
only when complete, so an interrupted backup leaves no partial file under FILE.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..config import SCHEMA_HEAD, is_sqlite, sqlite_path, sqlite_uri
from ..errors import DatabaseError, InvalidInputError

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


@dataclass(frozen=True)
class BackupResult:
    """What ``backup`` wrote."""

    path: str
    kind: str  # "sqlite" or "pg_dump"
    bytes: int
    schema: str | None


@dataclass(frozen=True)
class RestoreResult:
    """What ``restore`` did."""

    path: str
    kind: str
    schema_before: str | None
    schema_after: str | None
    animals: int


def backup_kind(path: Path) -> str:
    """``"sqlite"`` or ``"pg_dump"`` from the file's first bytes.

    Raises:
        InvalidInputError: Missing, unreadable or not a backup this studbook writes.
    """
    from ..io.files import check_input_file

    # a FIFO would block the open forever, a device never ends: regular files only (no size cap)
    if path.exists():
        check_input_file(path, what="the backup", max_bytes=2**62, hint="give a file written by `studbook backup`")
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise InvalidInputError(f"cannot read the backup {path}: {exc.strerror}",
                                "check the file name") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "pg_dump"
    raise InvalidInputError(f"{path} is not a studbook backup (neither a SQLite book nor a pg_dump custom archive)",
                            "give a file written by `studbook backup`")


def _new_target(path: Path) -> Path:
    if path.exists():
        raise InvalidInputError(f"{path} already exists", "give a new file name; a backup never overwrites a file")
    if not path.parent.is_dir():
        raise InvalidInputError(f"the folder {path.parent} does not exist", "create it first or give another path")
    return path.parent / f".{path.name}.part-{os.getpid()}"


def backup(url: str, target: str) -> BackupResult:
    """Write a consistent snapshot of the book at *url* to the new file *target*.

    Raises:
        InvalidInputError: *target* exists or its folder is missing.
        DatabaseError: The database cannot be read, or ``pg_dump`` is missing or fails.
    """
    from ..db import current_revision

    path = Path(target).expanduser()
    part = _new_target(path)
    schema = current_revision(url)
    if schema is None:
        raise DatabaseError("the database has no studbook schema: nothing to back up",
                            "check --db / STUDBOOK_DB")
    try:
        if is_sqlite(url):
            _sqlite_copy(str(sqlite_path(url)), part)
            kind = "sqlite"
        else:
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(part),
                  _libpq_url(url)], url, "pg_dump")
            kind = "pg_dump"
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    return BackupResult(str(path), kind, path.stat().st_size, schema)


def restore(url: str, source: str) -> RestoreResult:
    """Restore the backup *source* into the empty database at *url*, then migrate it to head.

    Raises:
        InvalidInputError: Not a backup, or a backup of the other database kind.
        DatabaseError: The target already holds a book, or the restore fails (the target is
            then left as it was: a SQLite file is only renamed into place when complete).
    """
    from ..db import current_revision, upgrade

    path = Path(source).expanduser()
    kind = backup_kind(path)
    want = "sqlite" if is_sqlite(url) else "pg_dump"
    if kind != want:
        raise InvalidInputError(
            f"{path} is a {'SQLite' if kind == 'sqlite' else 'PostgreSQL'} backup and --db is a "
            f"{'SQLite' if want == 'sqlite' else 'PostgreSQL'} database",
            "to move a book between the two use `studbook export book DIR` then `studbook init --from-folder DIR`")
    if current_revision(url) is not None:
        raise DatabaseError("the target database already holds a studbook", "restore into a new, empty database")
    if kind == "sqlite":
        before = _sqlite_schema(path)
        target = Path(str(sqlite_path(url)))
        if target.exists() and target.stat().st_size > 0:
            raise DatabaseError(f"{target} exists and is not empty", "restore into a new file")
        part = target.parent / f".{target.name}.part-{os.getpid()}"
        try:
            _sqlite_copy(str(path), part)
            os.replace(part, target)
        finally:
            part.unlink(missing_ok=True)
    else:
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
              "--dbname", _libpq_url(url), str(path)], url, "pg_restore")
        before = current_revision(url)
    if before != SCHEMA_HEAD:
        upgrade(url)
    return RestoreResult(str(path), kind, before, current_revision(url), _count_animals(url))


def _sqlite_copy(src: str, dst: Path) -> None:
    """SQLite online backup of *src* into the new file *dst* (read-only open of the source)."""
    try:
        source = sqlite3.connect(sqlite_uri(src), uri=True)
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open {src}: {exc}", "check the path") from None
    try:
        dest = sqlite3.connect(str(dst))
        try:
            source.backup(dest)
            ok = dest.execute("PRAGMA integrity_check").fetchone()
            if not ok or ok[0] != "ok":
                raise DatabaseError(f"the copy of {src} failed its integrity check: {ok}", "nothing was written")
            dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            dest.close()
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot copy {src}: {exc}", "check that it is a studbook database") from None
    finally:
        source.close()


def _sqlite_schema(path: Path) -> str | None:
    try:
        con = sqlite3.connect(sqlite_uri(str(path)), uri=True)
        try:
            row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        raise InvalidInputError(f"{path} is a SQLite file but not a studbook book", "give a file written by "
                                "`studbook backup`") from None
    return row[0] if row else None


def _libpq_url(url: str) -> str:
    """The SQLAlchemy URL as a libpq one, without the password (it goes in PGPASSWORD)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return u.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _run(argv: list[str], url: str, program: str) -> None:
    from sqlalchemy.engine import make_url

    if shutil.which(program) is None:
        raise DatabaseError(f"{program} is not installed", "install the PostgreSQL client "
                            "(Debian/Ubuntu: apt install postgresql-client; macOS: brew install libpq)")
    env = dict(os.environ)
    password = make_url(url).password
    if password:
        env["PGPASSWORD"] = str(password)
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        first = next((line for line in proc.stderr.splitlines() if line.strip()), f"exit code {proc.returncode}")
        raise DatabaseError(f"{program} failed: {first.strip()}", "check the --db URL and the server")


def _count_animals(url: str) -> int:
    from sqlalchemy import text

    from ..db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM animal")).scalar_one())
    finally:
        engine.dispose()
