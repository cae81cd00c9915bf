"""Who may write what: the roles and the rules, as pure functions (plain data in, a Decision out).

Roles:

* ``keeper``: the studbook keeper; everything.
* ``coordinator``: analysis and plans; decides (approves or rejects) pending updates, and
  the writes of an approved update are applied with the coordinator's rights.
* ``registrar``: bound to one or more institutions. Applied at once: births at an own
  institution, transfers out of or into an own institution, deaths, releases, losses and
  flag changes of animals an own institution holds, captures and new records at an own
  institution, corrections and voids of records the registrar entered. Any other write
  about an animal becomes a *pending update* for the keeper or a coordinator.
* ``reader``: reads only.

A write that is neither applied nor pending is denied, with one line saying why.
The services (``studbook.services.access``) gather the facts from the database and
call :func:`decide`; nothing here touches the database or the user interface.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

ROLES = ("keeper", "coordinator", "registrar", "reader")
DECIDERS = ("keeper", "coordinator")

# Writes about one animal, and which institutions make them the registrar's own:
# "place" actions: the new place (or the animal's holder) must be an own institution.
PLACE_ACTIONS = ("birth", "add_animal", "capture", "transfer", "death", "release", "ltf", "set_flags")
# Corrections and voids: the record must have been entered by the registrar.
CORRECTION_ACTIONS = ("correct_animal", "update_animal", "correct_event", "void_event", "void_animal")
ANIMAL_ACTIONS = PLACE_ACTIONS + CORRECTION_ACTIONS
# Writes that are not about one animal (institutions, species, imports, users...): keeper only.
KEEPER_ACTIONS = ("institution", "species", "import", "user", "problem")
# Plans and recommendations: keeper and coordinator.
PLAN_ACTIONS = ("plan",)
# Deciding pending updates.
DECIDE_ACTIONS = ("decide_pending",)

Outcome = Literal["apply", "pending", "deny"]


@dataclass(frozen=True)
class Actor:
    """Who is acting: a studbook user (or the local keeper of a book without users)."""

    name: str
    role: str
    institutions: frozenset[str] = frozenset()
    active: bool = True

    @property
    def is_keeper(self) -> bool:
        return self.role == "keeper"

    def label(self) -> str:
        where = f" of {', '.join(sorted(self.institutions))}" if self.institutions else ""
        return f"{self.role} {self.name}{where}"


class ActorLike(Protocol):
    """Anything with an actor's attributes (the web layer's view of an Actor)."""

    @property
    def name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def institutions(self) -> Iterable[str]: ...
    @property
    def active(self) -> bool: ...


def as_actor(actor: ActorLike) -> Actor:
    if isinstance(actor, Actor):
        return actor
    return Actor(name=actor.name, role=actor.role, institutions=frozenset(actor.institutions), active=actor.active)


def local_keeper(name: str) -> Actor:
    """The actor of a book without users, and of the local CLI on SQLite: a keeper."""
    return Actor(name=name, role="keeper")


@dataclass(frozen=True)
class WriteRequest:
    """One write, described by plain facts.

    *action*: one of the action names above. *places*: the institution codes the write
    concerns (the new place, the origin, the animal's current holder); for a registrar,
    one of them must be an own institution. *author*: who entered the record that a
    correction changes (from the audit log), None when unknown. *subject*: text naming
    the record ("animal 1250"), used in messages.
    """

    action: str
    subject: str = ""
    places: frozenset[str] = frozenset()
    author: str | None = None


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str

    @property
    def applies(self) -> bool:
        return self.outcome == "apply"


def _deny(reason: str) -> Decision:
    return Decision("deny", reason)


def decide(actor: Actor, request: WriteRequest, *, approving: bool = False) -> Decision:
    """Apply, make pending, or deny *request* by *actor*.

    *approving*: the write is an approved pending update being applied by *actor*
    (who must be a keeper or coordinator): it is applied with the decider's rights.
    """
    what = f"{request.action.replace('_', ' ')}{' of ' + request.subject if request.subject else ''}"
    if not actor.active:
        return _deny(f"user {actor.name} is disabled")
    if actor.role not in ROLES:
        return _deny(f"user {actor.name} has an unknown role {actor.role!r}")
    if actor.role == "keeper":
        return Decision("apply", "the keeper may write everything")
    if actor.role == "reader":
        return _deny(f"user {actor.name} is a reader and may not write ({what})")
    if request.action in DECIDE_ACTIONS:
        if actor.role in DECIDERS:
            return Decision("apply", f"a {actor.role} decides pending updates")
        return _deny(f"only the keeper or a coordinator may approve or reject pending updates, "
                     f"not {actor.role} {actor.name}")
    if request.action in PLAN_ACTIONS:
        if actor.role == "coordinator":
            return Decision("apply", "a coordinator makes plans")
        return _deny(f"only the keeper or a coordinator may change plans, not {actor.role} {actor.name}")
    if approving and actor.role in DECIDERS and request.action in ANIMAL_ACTIONS:
        return Decision("apply", f"approved by {actor.role} {actor.name}")
    if request.action not in ANIMAL_ACTIONS:
        return _deny(f"only the keeper may {what}, not {actor.role} {actor.name}")
    if actor.role == "coordinator":
        return _deny(f"a coordinator does not record events ({what}); a registrar or the keeper does")
    return _registrar(actor, request, what)


def _registrar(actor: Actor, request: WriteRequest, what: str) -> Decision:
    if not actor.institutions:
        return _deny(f"registrar {actor.name} is bound to no institution")
    if request.action in CORRECTION_ACTIONS:
        if request.author is not None and request.author == actor.name:
            return Decision("apply", f"{actor.name} entered this record")
        by = f"entered by {request.author}" if request.author else "whose author is unknown"
        return Decision("pending", f"{what}: a record {by}; a registrar corrects only the records they entered")
    own = request.places & actor.institutions
    if own:
        return Decision("apply", f"{', '.join(sorted(own))} is an institution of {actor.name}")
    where = ", ".join(sorted(request.places)) or "no institution"
    return Decision("pending", f"{what} concerns {where}, not an institution of {actor.name} "
                               f"({', '.join(sorted(actor.institutions))})")


def may_decide(actor: Actor) -> Decision:
    """May *actor* list, approve and reject pending updates?"""
    return decide(actor, WriteRequest("decide_pending"))


def may_manage_users(actor: Actor) -> Decision:
    return decide(actor, WriteRequest("user"))


def table_write_allowed(actor: Actor, tables: frozenset[str]) -> Decision:
    """The safety net for writes that came through no checked service: by table names."""
    if actor.is_keeper and actor.active:
        return Decision("apply", "the keeper may write everything")
    if actor.active and actor.role == "coordinator" and tables <= {"plan", "recommendation"}:
        return Decision("apply", "a coordinator makes plans")
    return _deny(f"{actor.role} {actor.name} may not write to {', '.join(sorted(tables))}"
                 + ("" if actor.active else f" (user {actor.name} is disabled)"))
