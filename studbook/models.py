"""Typed SQLAlchemy 2.x models: the studbook records.

Structure and small invariants only; the studbook rules live in
``studbook.rules`` (pure) and are applied by ``studbook.services``.
Current location and alive/dead status are *derived* from events, never stored.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SEXES = ("M", "F", "U")
BIRTH_TYPES = ("captive", "wild", "unknown")
PARENT_KINDS = ("ID", "UNK", "WILD", "MULT")
REARINGS = ("parent", "hand", "mixed", "unknown")
EVENT_KINDS = ("birth", "capture", "transfer", "death", "release", "ltf")
PRECISIONS = ("D", "M", "Y", "U")
INSTITUTION_KINDS = ("zoo", "breeding-centre", "release-site", "wild-area")
WILD_KINDS = ("release-site", "wild-area")
REPRODUCTION = ("live", "egg")
PROBLEM_SEVERITIES = ("error", "warning")
REGIONS = ("EAZA", "AZA", "EARAZA", "JAZA", "ZAA", "PAAZA", "ALPZA", "SEAZA", "WAZA", "OTHER")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Species(Base):
    """Biological parameters of the book's species (one row). Validation reads them."""

    __tablename__ = "species"

    id: Mapped[int] = mapped_column(primary_key=True)
    common_name: Mapped[str] = mapped_column(String(120))
    scientific_name: Mapped[str] = mapped_column(String(120))
    gestation_min_days: Mapped[int] = mapped_column(Integer)
    gestation_max_days: Mapped[int] = mapped_column(Integer)
    min_breeding_age_male: Mapped[float] = mapped_column(Float)
    min_breeding_age_female: Mapped[float] = mapped_column(Float)
    max_breeding_age_male: Mapped[float] = mapped_column(Float)
    max_breeding_age_female: Mapped[float] = mapped_column(Float)
    longevity_years: Mapped[float] = mapped_column(Float)
    reproduction: Mapped[str] = mapped_column(String(4), default="live")
    incubation_min_days: Mapped[int | None] = mapped_column(Integer)
    incubation_max_days: Mapped[int | None] = mapped_column(Integer)
    # Egg species: fewest days between two clutches of one dam (replacement clutches); NULL: the minimum incubation.
    clutch_interval_days: Mapped[int | None] = mapped_column(Integer)
    # The book's census date ("today" for read commands), e.g. the date of an imported snapshot.
    census_date: Mapped[date | None] = mapped_column(Date)
    # The number `birth` tries next (it skips used IDs); NULL: 1. Outliers typed by hand do not move it.
    next_studbook_id: Mapped[int | None] = mapped_column(Integer)
    # Dates before this year are refused as typos (rule D02); an imported historical pedigree lowers it.
    earliest_year: Mapped[int] = mapped_column(Integer, default=1850)
    # Young depend on their dam until this age (months): she is neither moved nor re-paired, they are not moved.
    dependence_months: Mapped[float | None] = mapped_column(Float)
    # Default age window (years, on the reference day) of reintroduction candidates.
    release_age_min: Mapped[float | None] = mapped_column(Float)
    release_age_max: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        CheckConstraint("gestation_min_days > 0 AND gestation_max_days >= gestation_min_days", name="gestation"),
        CheckConstraint("reproduction IN ('live','egg')", name="reproduction"),
        CheckConstraint(
            "incubation_min_days IS NULL OR incubation_max_days IS NULL "
            "OR (incubation_min_days > 0 AND incubation_max_days >= incubation_min_days)",
            name="incubation",
        ),
    )


class Institution(Base):
    """A place that holds animals, identified by a SPARKS/ZIMS style mnemonic (<= 9 chars).

    ``kind`` zoo or breeding-centre (captive), release-site or wild-area (in the wild).
    Country and coordinates are optional (SPARKS locations have neither).
    """

    __tablename__ = "institution"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(9), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(120))
    country: Mapped[str | None] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(12))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    capacity_males: Mapped[int | None] = mapped_column(Integer)
    capacity_females: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), default="zoo")

    __table_args__ = (
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude"),
        CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="coordinates"),
        CheckConstraint("kind IN ('zoo','breeding-centre','release-site','wild-area')", name="kind"),
    )


class Animal(Base):
    """The master record of one animal (SPARKS master record)."""

    __tablename__ = "animal"

    id: Mapped[int] = mapped_column(primary_key=True)
    studbook_id: Mapped[str] = mapped_column(String(64), unique=True)
    house_name: Mapped[str | None] = mapped_column(String(120))
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date)  # NULL when undetermined (precision U)
    birth_precision: Mapped[str] = mapped_column(String(1), default="D")
    birth_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    birth_type: Mapped[str] = mapped_column(String(8), default="captive")
    sire_kind: Mapped[str] = mapped_column(String(4), default="UNK")
    sire_id: Mapped[int | None] = mapped_column(ForeignKey("animal.id"))
    dam_kind: Mapped[str] = mapped_column(String(4), default="UNK")
    dam_id: Mapped[int | None] = mapped_column(ForeignKey("animal.id"))
    rearing: Mapped[str] = mapped_column(String(8), default="unknown")
    exclude_from_analysis: Mapped[bool] = mapped_column(Boolean, default=False)
    do_not_breed: Mapped[bool] = mapped_column(Boolean, default=False)
    contracepted: Mapped[bool] = mapped_column(Boolean, default=False)
    hybrid_suspect: Mapped[bool] = mapped_column(Boolean, default=False)
    exclude_from_release: Mapped[bool] = mapped_column(Boolean, default=False)
    artificial_insemination: Mapped[bool] = mapped_column(Boolean, default=False)
    health_notes: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # A voided record stays (and keeps its ID) but counts nowhere.
    void: Mapped[bool] = mapped_column(Boolean, default=False)
    void_reason: Mapped[str | None] = mapped_column(Text)

    sire: Mapped[Animal | None] = relationship(foreign_keys=[sire_id], remote_side=[id])
    dam: Mapped[Animal | None] = relationship(foreign_keys=[dam_id], remote_side=[id])
    events: Mapped[list[Event]] = relationship(
        back_populates="animal", foreign_keys="Event.animal_id", order_by="Event.id"
    )
    candidates: Mapped[list[ParentCandidate]] = relationship(
        back_populates="animal", foreign_keys="ParentCandidate.animal_id", cascade="all, delete-orphan"
    )
    local_ids: Mapped[list[LocalId]] = relationship(back_populates="animal", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("sex IN ('M','F','U')", name="sex"),
        CheckConstraint("birth_precision IN ('D','M','Y','U')", name="birth_precision"),
        CheckConstraint("(birth_precision = 'U') = (birth_date IS NULL)", name="birth_date_known"),
        CheckConstraint("birth_type IN ('captive','wild','unknown')", name="birth_type"),
        CheckConstraint("sire_kind IN ('ID','UNK','WILD','MULT')", name="sire_kind"),
        CheckConstraint("dam_kind IN ('ID','UNK','WILD','MULT')", name="dam_kind"),
        CheckConstraint("(sire_kind = 'ID') = (sire_id IS NOT NULL)", name="sire_id_kind"),
        CheckConstraint("(dam_kind = 'ID') = (dam_id IS NOT NULL)", name="dam_id_kind"),
        CheckConstraint("rearing IN ('parent','hand','mixed','unknown')", name="rearing"),
    )


class ParentCandidate(Base):
    """One candidate parent of a MULT slot, with its probability."""

    __tablename__ = "parent_candidate"

    id: Mapped[int] = mapped_column(primary_key=True)
    animal_id: Mapped[int] = mapped_column(ForeignKey("animal.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(4))
    candidate_id: Mapped[int] = mapped_column(ForeignKey("animal.id"))
    probability: Mapped[float] = mapped_column(Float)

    animal: Mapped[Animal] = relationship(back_populates="candidates", foreign_keys=[animal_id])
    candidate: Mapped[Animal] = relationship(foreign_keys=[candidate_id])

    __table_args__ = (
        UniqueConstraint("animal_id", "role", "candidate_id", name="uq_parent_candidate_slot"),
        CheckConstraint("role IN ('sire','dam')", name="role"),
        CheckConstraint("probability > 0 AND probability <= 1", name="probability"),
    )


class LocalId(Base):
    """An institution's own accession number for an animal, one per holding (never overwritten).

    ``event_id`` is the arrival (birth, capture, transfer) that started the holding.
    """

    __tablename__ = "local_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    animal_id: Mapped[int] = mapped_column(ForeignKey("animal.id", ondelete="CASCADE"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    local_id: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"))

    animal: Mapped[Animal] = relationship(back_populates="local_ids")
    institution: Mapped[Institution] = relationship()
    event: Mapped[Event | None] = relationship()

    __table_args__ = (
        UniqueConstraint("animal_id", "institution_id", "local_id", name="uq_local_id_holding"),
        Index("ix_local_id_local_id", "local_id"),
    )


class Event(Base):
    """A dated life event. ``institution`` is where the animal is after the event.

    A release moves the animal to a release site or wild area (``institution``) from its
    holder (``from_institution``). For egg-laying species a birth is the hatch at
    ``institution``; ``laid_at`` is where the egg was laid (the dam's place), and
    ``wild_egg`` marks an egg taken from a wild nest. ``litter_id`` groups the birth
    events of one litter or clutch (the id of its first birth event).
    """

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    animal_id: Mapped[int] = mapped_column(ForeignKey("animal.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    date: Mapped[date | None] = mapped_column(Date)  # NULL when undetermined (precision U)
    date_precision: Mapped[str] = mapped_column(String(1), default="D")
    date_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"))
    from_institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"))
    loan: Mapped[bool] = mapped_column(Boolean, default=False)
    cause: Mapped[str | None] = mapped_column(Text)
    site: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    laid_at_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"))
    wild_egg: Mapped[bool] = mapped_column(Boolean, default=False)
    litter_id: Mapped[int | None] = mapped_column(Integer, index=True)
    void: Mapped[bool] = mapped_column(Boolean, default=False)
    void_reason: Mapped[str | None] = mapped_column(Text)

    animal: Mapped[Animal] = relationship(back_populates="events", foreign_keys=[animal_id])
    institution: Mapped[Institution | None] = relationship(foreign_keys=[institution_id])
    from_institution: Mapped[Institution | None] = relationship(foreign_keys=[from_institution_id])
    laid_at: Mapped[Institution | None] = relationship(foreign_keys=[laid_at_id])

    __table_args__ = (
        Index("ix_event_animal_date", "animal_id", "date"),
        CheckConstraint(
            "kind IN ('birth','capture','transfer','death','release','ltf')", name="kind"
        ),
        CheckConstraint("date_precision IN ('D','M','Y','U')", name="date_precision"),
        CheckConstraint("(date_precision = 'U') = (date IS NULL)", name="date_known"),
    )


class AuditLog(Base):
    """Append-only log of every write: who, when, what, before and after.

    UPDATE and DELETE on this table are refused by database triggers.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user: Mapped[str] = mapped_column(String(120))
    command: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(8))
    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int | None] = mapped_column(Integer)
    record: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)  # why: required for corrections and voids
    # sha256 chained to the previous row (audit.row_hash; `studbook audit verify` checks it)
    hash: Mapped[str | None] = mapped_column(String(64))

    # 'deny': a write refused by the access rules (written after the rollback, with the real user).
    __table_args__ = (CheckConstraint("action IN ('insert','update','delete','deny')", name="action"),)


class Problem(Base):
    """A known problem of the book: a rule error or an unreadable row kept open, not a silent block.

    Loaded with ``--allow-problems``; closed automatically when a correction removes it.
    ``animal`` is the studbook ID it concerns (text, so a row that could not be loaded
    can still name it), ``source`` where it came from (file and line).
    """

    __tablename__ = "problem"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8))
    severity: Mapped[str] = mapped_column(String(8), default="error")
    animal: Mapped[str | None] = mapped_column(String(64), index=True)
    message: Mapped[str] = mapped_column(Text)
    hint: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(200))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_by: Mapped[str] = mapped_column(String(120))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(120))
    resolution: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (CheckConstraint("severity IN ('error','warning')", name="severity"),)


PLAN_KINDS = ("pairs", "transfers", "reintroduction")
RECOMMENDATION_KINDS = ("breed", "transfer", "release")
RECOMMENDATION_STATUSES = ("proposed", "accepted", "declined", "fulfilled", "failed")


class Plan(Base):
    """A saved breeding/transfer/release plan: a snapshot of what was recommended and why.

    ``parameters`` holds the options and seed; ``book_state`` what the book looked like
    (counts, last audit row, schema revision, software version) so the plan can be
    traced; ``summary`` the plan's totals (GD now and after, km, ...).
    """

    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(200))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    book_state: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)

    recommendations: Mapped[list[Recommendation]] = relationship(
        back_populates="plan", order_by="Recommendation.id", cascade="all, delete-orphan"
    )

    __table_args__ = (CheckConstraint("kind IN ('pairs','transfers','reintroduction')", name="kind"),)


class Recommendation(Base):
    """One recommendation of a plan (breed a pair, move an animal, release an animal) and its fate."""

    __tablename__ = "recommendation"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    male_id: Mapped[int | None] = mapped_column(ForeignKey("animal.id"))
    female_id: Mapped[int | None] = mapped_column(ForeignKey("animal.id"))
    animal_id: Mapped[int | None] = mapped_column(ForeignKey("animal.id"))
    from_institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"))
    to_institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="proposed")
    status_date: Mapped[date | None] = mapped_column(Date)
    status_reason: Mapped[str | None] = mapped_column(Text)
    fulfilled_by_event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"))

    plan: Mapped[Plan] = relationship(back_populates="recommendations")
    male: Mapped[Animal | None] = relationship(foreign_keys=[male_id])
    female: Mapped[Animal | None] = relationship(foreign_keys=[female_id])
    animal: Mapped[Animal | None] = relationship(foreign_keys=[animal_id])
    from_institution: Mapped[Institution | None] = relationship(foreign_keys=[from_institution_id])
    to_institution: Mapped[Institution | None] = relationship(foreign_keys=[to_institution_id])

    __table_args__ = (
        CheckConstraint("kind IN ('breed','transfer','release')", name="kind"),
        CheckConstraint("status IN ('proposed','accepted','declined','fulfilled','failed')", name="status"),
        Index("ix_recommendation_open", "kind", "status"),
    )


# --- users, roles, login sessions, pending updates (issue 12) -------------------------------

USER_ROLES = ("keeper", "coordinator", "registrar", "reader")
PENDING_STATUSES = ("pending", "approved", "rejected")


class AppUser(Base):
    """A studbook user: a role, the institutions of a registrar, an argon2id password hash.

    ``failed_logins`` counts failed logins since the last success; after
    ``services.users.MAX_FAILED_LOGINS`` the account is locked until ``locked_until``.
    """

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    role: Mapped[str] = mapped_column(String(12))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(120))

    institutions: Mapped[list[UserInstitution]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="UserInstitution.id")

    __table_args__ = (CheckConstraint("role IN ('keeper','coordinator','registrar','reader')", name="role"),)


class UserInstitution(Base):
    """A registrar's institution (one row per user and institution)."""

    __tablename__ = "user_institution"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))

    user: Mapped[AppUser] = relationship(back_populates="institutions")
    institution: Mapped[Institution] = relationship()

    __table_args__ = (UniqueConstraint("user_id", "institution_id", name="uq_user_institution_pair"),)


class LoginSession(Base):
    """A web login: only the SHA-256 of its random token is stored."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PendingUpdateRow(Base):
    """A registrar's write about an animal held elsewhere, waiting for the keeper or a coordinator.

    ``action`` names the service, ``parameters`` its keyword arguments (JSON); approval
    runs that service as the approver, recording ``requested_by`` in the audit reason.
    """

    __tablename__ = "pending_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(32))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    record: Mapped[str | None] = mapped_column(String(64), index=True)
    summary: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(120))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (CheckConstraint("status IN ('pending','approved','rejected')", name="status"),)
