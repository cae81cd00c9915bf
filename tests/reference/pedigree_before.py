"""Reference twin: ``studbook/pedigree.py`` as it was before ``Pedigree.from_columns`` (issue 13).

Kept verbatim (only this docstring differs) so that the column constructor, and
``from_records`` which now runs through it, are compared with the previous
record-by-record implementation in ``tests/test_fast_read.py``. Not used by studbook.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from studbook.errors import NotFoundError, PedigreeError

UNKNOWN = -1
"""Index used for an unknown (or WILD, or MULT) parent slot."""

SEX_CODES = {"U": 0, "M": 1, "F": 2}
SEX_LABELS = ("U", "M", "F")
MULT_TOL = 1e-6

IntArray = NDArray[np.int32]
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class PedigreeRecord:
    """One animal as plain data: the single input format of :class:`Pedigree`.

    Attributes:
        id: Studbook label of the animal.
        sire: Label of a known sire; ``None`` = not known (see the flags below).
        dam: Label of a known dam; ``None`` = not known.
        sire_wild: The sire is WILD (unknown, unrelated, but counts as known for
            % known). ``sire`` must then be ``None``.
        dam_wild: Same for the dam.
        sire_mult: MULT sire: ``(label, probability)`` pairs summing to 1;
            ``sire`` must then be ``None``.
        dam_mult: Same for the dam.
        sire_mult_litter: Key of the mating a MULT sire slot belongs to: records with the
            same key (littermates) share one unknown sire, one of the candidates, the
            same for all of them. ``None``: the slot is its own mating. Records sharing
            a key must list the same candidates with the same probabilities.
        dam_mult_litter: Same for the dam.
        sex: ``'M'``, ``'F'`` or ``'U'``.
        alive: Animal is alive.
        in_analysis: ``False`` flags the animal "exclude from analysis".
        birth_year: Decimal year, optional.
        founder_inbreeding: Inbreeding coefficient assumed for a founder (both
            parents unknown); must be 0 for non-founders.
    """

    id: str
    sire: str | None = None
    dam: str | None = None
    sire_wild: bool = False
    dam_wild: bool = False
    sire_mult: tuple[tuple[str, float], ...] = ()
    dam_mult: tuple[tuple[str, float], ...] = ()
    sire_mult_litter: str | None = None
    dam_mult_litter: str | None = None
    sex: str = "U"
    alive: bool = False
    in_analysis: bool = True
    birth_year: float | None = None
    founder_inbreeding: float = 0.0


@dataclass(frozen=True)
class MultParents:
    """CSR storage of MULT candidates for one parent slot (sire or dam).

    Attributes:
        ptr: ``int64`` array of length ``n + 1``; candidates of animal ``i`` are
            at positions ``ptr[i]:ptr[i+1]``.
        cand: ``int32`` candidate parent indices (each smaller than the child).
        prob: ``float64`` candidate probabilities (sum to 1 per animal).
        litter: ``int32`` per animal: the index of the first animal sharing this MULT
            slot (one mating, the same unknown parent for the whole litter); the
            animal itself when the slot is not shared; -1 without a MULT slot.
            ``None`` when built: every MULT slot is then its own.
    """

    ptr: NDArray[np.int64]
    cand: IntArray
    prob: FloatArray
    litter: IntArray | None = None

    @classmethod
    def empty(cls, n: int) -> MultParents:
        """No MULT slots for ``n`` animals."""
        return cls(np.zeros(n + 1, np.int64), np.zeros(0, np.int32), np.zeros(0))

    def has(self) -> BoolArray:
        """Boolean mask of animals whose slot is MULT."""
        return np.diff(self.ptr) > 0

    def child(self) -> NDArray[np.int64]:
        """Child index of every stored candidate (same length as ``cand``)."""
        n = len(self.ptr) - 1
        return np.repeat(np.arange(n, dtype=np.int64), np.diff(self.ptr))

    def litters(self) -> IntArray:
        """``litter``, never ``None`` (a pedigree always fills it)."""
        return self.litter if self.litter is not None else self.own_litter()

    def own_litter(self) -> IntArray:
        """``litter`` when every MULT slot is its own (no shared mating)."""
        n = len(self.ptr) - 1
        return np.where(self.has(), np.arange(n), -1).astype(np.int32)

    def leaders(self) -> NDArray[np.int64]:
        """Animals heading a MULT litter (one virtual parent each), in index order."""
        lit = self.litters()
        return np.flatnonzero(lit == np.arange(len(lit)))

    def of(self, i: int) -> list[tuple[int, float]]:
        """Candidates of animal ``i`` as ``(index, probability)`` pairs."""
        a, b = int(self.ptr[i]), int(self.ptr[i + 1])
        return [(int(c), float(p)) for c, p in zip(self.cand[a:b], self.prob[a:b])]


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class Pedigree:
    """A validated, parents-first, read-only pedigree.

    Build it with :meth:`from_records`. All arrays have length ``n`` and are
    read-only. See the module docstring for the slot conventions.

    Example:
        >>> ped = Pedigree.from_records([
        ...     PedigreeRecord("E", sire="C", dam="D", sex="M"),
        ...     PedigreeRecord("A", sex="M"), PedigreeRecord("B", sex="F"),
        ...     PedigreeRecord("C", "A", "B", sex="M"),
        ...     PedigreeRecord("D", "A", "B", sex="F")])
        >>> ped.ids
        ('A', 'B', 'C', 'D', 'E')
        >>> ped.sire.tolist(), ped.founders.tolist()
        ([-1, -1, 0, 0, 2], [0, 1])
    """

    ids: tuple[str, ...]
    sire: IntArray
    dam: IntArray
    sex: NDArray[np.int8]
    alive: BoolArray
    in_analysis: BoolArray
    sire_wild: BoolArray
    dam_wild: BoolArray
    birth_year: FloatArray
    founder_inbreeding: FloatArray
    sire_mult: MultParents
    dam_mult: MultParents
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self.ids)
        set_ = object.__setattr__
        set_(self, "sire", _readonly(np.asarray(self.sire, dtype=np.int32)))
        set_(self, "dam", _readonly(np.asarray(self.dam, dtype=np.int32)))
        set_(self, "sex", _readonly(np.asarray(self.sex, dtype=np.int8)))
        for name in ("alive", "in_analysis", "sire_wild", "dam_wild"):
            set_(self, name, _readonly(np.asarray(getattr(self, name), dtype=bool)))
        for name in ("birth_year", "founder_inbreeding"):
            set_(self, name, _readonly(np.asarray(getattr(self, name), dtype=np.float64)))
        for name in ("sire_mult", "dam_mult"):
            m: MultParents = getattr(self, name)
            lit = m.own_litter() if m.litter is None else m.litter
            set_(self, name, MultParents(
                _readonly(np.asarray(m.ptr, dtype=np.int64)),
                _readonly(np.asarray(m.cand, dtype=np.int32)),
                _readonly(np.asarray(m.prob, dtype=np.float64)),
                _readonly(np.asarray(lit, dtype=np.int32))))
        for name in ("sire", "dam", "sex", "alive", "in_analysis", "sire_wild",
                     "dam_wild", "birth_year", "founder_inbreeding"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"Pedigree.{name} must have shape ({n},)")
        child = np.arange(n)
        for name in ("sire", "dam"):
            p = getattr(self, name)
            if np.any(p >= child) or np.any(p < UNKNOWN):
                raise ValueError(f"Pedigree.{name}: every parent must precede its child")
        for name in ("sire_mult", "dam_mult"):
            m = getattr(self, name)
            if m.ptr.shape != (n + 1,) or m.ptr[0] != 0 or m.ptr[-1] != len(m.cand):
                raise ValueError(f"Pedigree.{name}: malformed CSR pointer")
            if len(m.cand) and (np.any(m.cand >= m.child()) or np.any(m.cand < 0)):
                raise ValueError(f"Pedigree.{name}: every candidate must precede its child")
            _check_litters(name, m)

    # ------------------------------------------------------------------ basics
    @property
    def n(self) -> int:
        """Number of animals."""
        return len(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def _index(self) -> dict[str, int]:
        idx = self._cache.get("index")
        if idx is None:
            idx = {label: i for i, label in enumerate(self.ids)}
            self._cache["index"] = idx
        return idx

    def index_of(self, label: str) -> int:
        """Index of the animal with studbook label ``label``.

        Raises:
            NotFoundError: No animal has that label.
        """
        try:
            return self._index[label]
        except KeyError:
            raise NotFoundError(
                f"animal {label!r} is not in the pedigree",
                hint="check the studbook id (labels are case-sensitive)",
            ) from None

    def indices(self, labels: Iterable[str]) -> NDArray[np.int64]:
        """Indices of several labels (in the given order).

        Raises:
            NotFoundError: Some labels are unknown (all of them are named).
        """
        index = self._index
        labels = list(labels)
        missing = [lab for lab in labels if lab not in index]
        if missing:
            shown = ", ".join(repr(m) for m in missing[:10])
            more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
            raise NotFoundError(
                f"{len(missing)} animal(s) not in the pedigree: {shown}{more}",
                hint="check the studbook ids (labels are case-sensitive)",
            )
        return np.fromiter((index[lab] for lab in labels), dtype=np.int64, count=len(labels))

    @property
    def living(self) -> NDArray[np.int64]:
        """Indices of the living analysis population L = alive & in_analysis."""
        return np.flatnonzero(self.alive & self.in_analysis)

    @property
    def has_sire(self) -> BoolArray:
        """Sire slot known: a known animal or a MULT group (WILD is not an animal)."""
        return (self.sire >= 0) | self.sire_mult.has()

    @property
    def has_dam(self) -> BoolArray:
        """Dam slot known: a known animal or a MULT group."""
        return (self.dam >= 0) | self.dam_mult.has()

    @property
    def founders(self) -> NDArray[np.int64]:
        """Indices of animals with no known parent in either slot (MULT = known)."""
        return np.flatnonzero(~self.has_sire & ~self.has_dam)

    @property
    def generation(self) -> NDArray[np.int32]:
        """Longest-path depth from the founders (founders 0), cached."""
        g = self._cache.get("generation")
        if g is None:
            g = _levels(self.n, *self._parent_edges())
            g.flags.writeable = False
            self._cache["generation"] = g
        return g

    def _parent_edges(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """All (child, parent) edges, MULT candidates included."""
        child = np.arange(self.n, dtype=np.int64)
        ks, kd = self.sire >= 0, self.dam >= 0
        c = np.concatenate([child[ks], child[kd], self.sire_mult.child(), self.dam_mult.child()])
        p = np.concatenate([self.sire[ks], self.dam[kd], self.sire_mult.cand,
                            self.dam_mult.cand]).astype(np.int64)
        return c, p

    def ancestors_mask(self, idx: Sequence[int] | NDArray[np.integer] | int) -> BoolArray:
        """Mask of the ancestors of ``idx``, the animals themselves included.

        MULT candidates count as ancestors. Vectorised reverse sweep over the
        generations.
        """
        mask = np.zeros(self.n, dtype=bool)
        mask[np.asarray(idx, dtype=np.int64)] = True
        gen = self.generation
        c, p = self._parent_edges()
        if len(c) == 0:
            return mask
        order = np.argsort(gen[c], kind="stable")
        c, p = c[order], p[order]
        bounds = np.searchsorted(gen[c], np.arange(int(gen.max()) + 2))
        for g in range(int(gen.max()), 0, -1):
            cc, pp = c[bounds[g]:bounds[g + 1]], p[bounds[g]:bounds[g + 1]]
            mask[pp[mask[cc]]] = True
        return mask

    def reordered(self, perm: Sequence[int] | NDArray[np.integer]) -> Pedigree:
        """Rebuild the pedigree from its records given in the order ``perm``.

        The result is again parents-first (``from_records`` moves parents up where
        ``perm`` would put them after a child), so results must be compared by
        label, not by index. Used by invariance tests.
        """
        recs = self.to_records()
        return Pedigree.from_records([recs[int(i)] for i in perm])

    def to_records(self) -> list[PedigreeRecord]:
        """Back to plain records (inverse of :meth:`from_records`)."""
        ids = self.ids
        out = []
        s_key, d_key = _litter_keys(self.sire_mult, ids), _litter_keys(self.dam_mult, ids)
        for i in range(self.n):
            s, d = int(self.sire[i]), int(self.dam[i])
            by = float(self.birth_year[i])
            out.append(PedigreeRecord(
                id=ids[i],
                sire=ids[s] if s >= 0 else None,
                dam=ids[d] if d >= 0 else None,
                sire_wild=bool(self.sire_wild[i]),
                dam_wild=bool(self.dam_wild[i]),
                sire_mult=tuple((ids[c], p) for c, p in self.sire_mult.of(i)),
                dam_mult=tuple((ids[c], p) for c, p in self.dam_mult.of(i)),
                sire_mult_litter=s_key[i],
                dam_mult_litter=d_key[i],
                sex=SEX_LABELS[int(self.sex[i])],
                alive=bool(self.alive[i]),
                in_analysis=bool(self.in_analysis[i]),
                birth_year=None if math.isnan(by) else by,
                founder_inbreeding=float(self.founder_inbreeding[i]),
            ))
        return out

    # ------------------------------------------------------------ construction
    @classmethod
    def from_records(cls, records: Iterable[PedigreeRecord], *, check_sex: bool = True) -> Pedigree:
        """Validate records, order parents before children and freeze.

        ``check_sex=False`` leaves out the parents' sex check: kinship does not depend on
        sex, and a studbook loaded with known problems (a dam recorded as male, rule
        P02, kept as an open problem) must still be analysable.

        The order is stable: input order is kept except that a parent listed
        after its first child is moved up just before it (iterative DFS, O(N)).

        Raises:
            PedigreeError: One error listing every problem found: duplicate ids,
                parents missing from the records, cycles (animals that are their
                own ancestor), sire not male / dam not female (sex ``'U'``
                parents are allowed), the same animal as sire and dam, bad MULT
                probabilities, WILD flags together with a parent id, founder
                inbreeding outside [0, 1) or given for a non-founder.
        """
        recs = list(records)
        problems: list[str] = []
        index: dict[str, int] = {}
        keep: list[PedigreeRecord] = recs
        index = {r.id: i for i, r in enumerate(recs)}
        if len(index) != len(recs):  # rare path: report and drop duplicates
            index, keep = {}, []
            for r in recs:
                if r.id in index:
                    problems.append(f"duplicate id {r.id!r}")
                    continue
                index[r.id] = len(keep)
                keep.append(r)
        n = len(keep)
        sex = np.fromiter(map(SEX_CODES.get, map(attrgetter("sex"), keep), repeat(-1)),
                          dtype=np.int8, count=n)
        for i in np.flatnonzero(sex < 0).tolist():
            problems.append(f"{keep[i].id!r} has sex {keep[i].sex!r}; expected 'M', 'F' or 'U'")
        sex[sex < 0] = 0

        # common case, vectorised: plain sire/dam labels (-1 none, -2 not found)
        # cast: widening the key type is safe for this fresh copy (dict keys are invariant)
        lookup = cast("dict[str | None, int]", dict(index))
        lookup[None] = UNKNOWN
        get = lookup.get
        sire = np.fromiter(map(get, map(attrgetter("sire"), keep), repeat(-2)),
                           dtype=np.int64, count=n)
        dam = np.fromiter(map(get, map(attrgetter("dam"), keep), repeat(-2)),
                          dtype=np.int64, count=n)
        special = np.fromiter(map(any, map(attrgetter(
            "sire_wild", "dam_wild", "sire_mult", "dam_mult", "founder_inbreeding"), keep)),
            dtype=bool, count=n)
        me = np.arange(n)
        bad = (special | (sire == -2) | (dam == -2) | (sire == me) | (dam == me)
               | ((sire >= 0) & (sire == dam)))
        sx = sex[np.maximum(sire, 0)]
        dx = sex[np.maximum(dam, 0)]
        bad |= ((sire >= 0) & (sx == 2)) | ((dam >= 0) & (dx == 1))
        mult: dict[str, list[tuple[int, int, float]]] = {"sire": [], "dam": []}
        for i in np.flatnonzero(bad).tolist():
            r = keep[i]
            sire[i] = dam[i] = UNKNOWN
            slots = (("sire", r.sire, r.sire_wild, r.sire_mult, sire, 1, "male"),
                     ("dam", r.dam, r.dam_wild, r.dam_mult, dam, 2, "female"))
            seen: dict[int, str] = {}
            for slot, lab, wild, cands, arr, want, word in slots:
                if wild and (lab is not None or cands):
                    problems.append(f"{r.id!r}: {slot} is flagged WILD but also names a {slot}")
                if lab is not None and cands:
                    problems.append(f"{r.id!r}: both a {slot} and MULT {slot} candidates given")
                members: list[tuple[str, float]] = [(lab, 1.0)] if lab is not None else []
                if cands:
                    members = list(cands)
                    total = sum(p for _, p in cands)
                    if any(not p > 0 for _, p in cands):
                        problems.append(f"{r.id!r}: MULT {slot} probabilities must be > 0")
                    elif abs(total - 1.0) > MULT_TOL:
                        problems.append(
                            f"{r.id!r}: MULT {slot} probabilities sum to {total:.6g}, not 1")
                    if len({c for c, _ in cands}) != len(cands):
                        problems.append(f"{r.id!r}: MULT {slot} lists a candidate twice")
                for lab2, prob in members:
                    j = index.get(lab2)
                    if j is None:
                        problems.append(
                            f"{r.id!r}: {slot} {lab2!r} is not in the records")
                        continue
                    if j == i:
                        problems.append(f"{r.id!r} is its own {slot} (own ancestor)")
                        continue
                    if check_sex and sex[j] not in (0, want):
                        problems.append(
                            f"{r.id!r}: {slot} {lab2!r} is {SEX_LABELS[sex[j]]}, not {word}")
                    if j in seen and seen[j] != slot:
                        problems.append(f"{r.id!r}: {lab2!r} is both sire and dam")
                    seen[j] = slot
                    if cands:
                        mult[slot].append((i, j, float(prob)))
                    else:
                        arr[i] = j
            has_parent = r.sire is not None or r.dam is not None or \
                bool(r.sire_mult) or bool(r.dam_mult)
            if r.founder_inbreeding != 0.0:
                if has_parent:
                    problems.append(
                        f"{r.id!r}: founder inbreeding given but the animal has a parent")
                elif not 0.0 <= r.founder_inbreeding < 1.0:
                    problems.append(f"{r.id!r}: founder inbreeding "
                                    f"{r.founder_inbreeding} outside [0, 1)")

        litter_groups = _litter_groups(keep, problems)

        # cycles: Kahn waves on the edges that resolved
        ec = [np.flatnonzero(sire >= 0), np.flatnonzero(dam >= 0)]
        ep = [sire[ec[0]], dam[ec[1]]]
        for slot in ("sire", "dam"):
            if mult[slot]:
                a = np.array(mult[slot], dtype=np.float64)
                ec.append(a[:, 0].astype(np.int64))
                ep.append(a[:, 1].astype(np.int64))
        c_all, p_all = np.concatenate(ec), np.concatenate(ep)
        if not bool(np.all(p_all < c_all)):  # parents-first input cannot have a cycle
            lev = _levels(n, c_all, p_all, strict=False)
            if np.any(lev < 0):
                problems.extend(_cycle_problems(keep, c_all, p_all, lev < 0))

        if problems:
            raise PedigreeError(
                f"the pedigree has {len(problems)} problem(s)",
                hint="fix the listed records (or mark parents as unknown) and retry",
                problems=problems,
            )

        order = _stable_topological_order(n, c_all, p_all)
        pos = np.empty(n, np.int64)
        pos[order] = np.arange(n)

        def remap(a: NDArray[np.int64]) -> IntArray:
            out = np.where(a >= 0, pos[np.maximum(a, 0)], UNKNOWN)
            return out[order].astype(np.int32)

        def build_mult(rows: list[tuple[int, int, float]], groups: list[list[int]]) -> MultParents:
            if not rows:
                return MultParents.empty(n)
            child = pos[np.array([r[0] for r in rows], np.int64)]
            cand = pos[np.array([r[1] for r in rows], np.int64)]
            prob = np.array([r[2] for r in rows], np.float64)
            o = np.lexsort((np.arange(len(rows)), child))
            counts = np.bincount(child, minlength=n)
            ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
            litter = np.where(counts > 0, np.arange(n), -1).astype(np.int32)
            for members in groups:
                at = pos[np.array(members, np.int64)]
                litter[at] = at.min()
            return MultParents(ptr, cand[o].astype(np.int32), prob[o], litter)

        ks = [keep[k] for k in order.tolist()]
        by = np.array([np.nan if r.birth_year is None else r.birth_year for r in ks],
                      dtype=np.float64)
        return cls(
            ids=tuple(r.id for r in ks),
            sire=remap(sire),
            dam=remap(dam),
            sex=sex[order],
            alive=np.fromiter(map(attrgetter("alive"), ks), dtype=bool, count=n),
            in_analysis=np.fromiter(map(attrgetter("in_analysis"), ks), dtype=bool, count=n),
            sire_wild=np.fromiter(map(attrgetter("sire_wild"), ks), dtype=bool, count=n),
            dam_wild=np.fromiter(map(attrgetter("dam_wild"), ks), dtype=bool, count=n),
            birth_year=by.reshape(len(ks)),
            founder_inbreeding=np.fromiter(map(attrgetter("founder_inbreeding"), ks),
                                           dtype=np.float64, count=n),
            sire_mult=build_mult(mult["sire"], litter_groups["sire"]),
            dam_mult=build_mult(mult["dam"], litter_groups["dam"]),
        )


def _litter_groups(recs: Sequence[PedigreeRecord], problems: list[str]) -> dict[str, list[list[int]]]:
    """Records sharing a MULT litter key, per slot (groups of two or more input indices).

    Every member must have a MULT slot with the same candidates and probabilities: they
    stand for one unknown parent. Problems are appended to *problems*.
    """
    out: dict[str, list[list[int]]] = {"sire": [], "dam": []}
    for slot in ("sire", "dam"):
        by_key: dict[str, list[int]] = {}
        for i, r in enumerate(recs):
            key = getattr(r, f"{slot}_mult_litter")
            if key is None:
                continue
            if not getattr(r, f"{slot}_mult"):
                problems.append(f"{r.id!r}: a MULT {slot} litter key is given but the {slot} is not MULT")
                continue
            by_key.setdefault(key, []).append(i)
        for key, members in by_key.items():
            first = recs[members[0]]
            want = sorted((c, round(p, 9)) for c, p in getattr(first, f"{slot}_mult"))
            for i in members[1:]:
                got = sorted((c, round(p, 9)) for c, p in getattr(recs[i], f"{slot}_mult"))
                if got != want:
                    problems.append(f"{recs[i].id!r}: MULT {slot} candidates differ from those of its "
                                    f"littermate {first.id!r} (litter {key!r}); one mating has one set")
            if len(members) > 1:
                out[slot].append(members)
    return out


def _check_litters(name: str, m: MultParents) -> None:
    """Structural check of ``m.litter`` (see :class:`MultParents`)."""
    lit = m.litters()
    n = len(m.ptr) - 1
    if lit.shape != (n,):
        raise ValueError(f"Pedigree.{name}: litter must have shape ({n},)")
    has = m.has()
    me = np.arange(n)
    if np.any((lit >= 0) != has) or np.any(lit > me) or np.any(lit[lit >= 0] != lit[lit[lit >= 0]]):
        raise ValueError(f"Pedigree.{name}: malformed litter (a member must follow the first of its litter)")
    for i in np.flatnonzero((lit >= 0) & (lit != me)).tolist():
        j = int(lit[i])
        mine, first = dict(m.of(i)), dict(m.of(j))
        if mine.keys() != first.keys() or any(abs(mine[k] - first[k]) > 1e-9 for k in mine):
            raise ValueError(f"Pedigree.{name}: littermates {i} and {j} have different MULT candidates")


def _litter_keys(m: MultParents, ids: Sequence[str]) -> list[str | None]:
    """Litter key per animal for :meth:`Pedigree.to_records`: the first littermate's id when
    the slot is shared, else ``None``."""
    lit = m.litters()
    shared = np.bincount(lit[lit >= 0], minlength=len(lit)) > 1
    return [ids[j] if j >= 0 and shared[j] else None for j in lit.tolist()]


def _levels(n: int, child: NDArray[np.int64], parent: NDArray[np.int64],
            strict: bool = True) -> NDArray[np.int32]:
    """Longest-path depth of every node by vectorised Kahn waves.

    Nodes on or below a cycle get -1 (``strict=True`` raises instead).
    """
    level = np.full(n, -1, np.int32)
    if n == 0:
        return level
    indeg = np.bincount(child, minlength=n)
    order = np.argsort(parent, kind="stable")
    kids = child[order]
    kptr = np.concatenate([[0], np.cumsum(np.bincount(parent, minlength=n))])
    wave = np.flatnonzero(indeg == 0)
    g = 0
    while len(wave):
        level[wave] = g
        deg = kptr[wave + 1] - kptr[wave]
        tot = int(deg.sum())
        if tot == 0:
            break
        starts = np.repeat(kptr[wave] - np.cumsum(deg) + deg, deg) + np.arange(tot)
        ch = kids[starts]
        u, cnt = np.unique(ch, return_counts=True)
        indeg[u] -= cnt
        wave = u[indeg[u] == 0]
        g += 1
    if strict and np.any(level < 0):
        raise ValueError("cycle in parent edges")
    return level


def _cycle_problems(recs: Sequence[PedigreeRecord], child: NDArray[np.int64],
                    parent: NDArray[np.int64], stuck: BoolArray) -> list[str]:
    """Name the animals of every cycle (networkx imported only on this error path)."""
    import networkx as nx

    g = nx.DiGraph()
    sel = stuck[child] & stuck[parent]
    g.add_edges_from(zip(parent[sel].tolist(), child[sel].tolist()))
    out = []
    for comp in nx.strongly_connected_components(g):
        if len(comp) > 1 or any(g.has_edge(v, v) for v in comp):
            names = ", ".join(repr(recs[v].id) for v in sorted(comp)[:20])
            more = f" (+{len(comp) - 20} more)" if len(comp) > 20 else ""
            out.append(f"animals are their own ancestors (cycle): {names}{more}")
    return out or ["the pedigree contains a cycle (an animal is its own ancestor)"]


def _stable_topological_order(n: int, child: NDArray[np.int64],
                              parent: NDArray[np.int64]) -> NDArray[np.int64]:
    """Parents-first order keeping the input order where allowed.

    Identity when the input is already parents-first (checked vectorised).
    Otherwise an iterative DFS places each animal's unplaced ancestors just
    before it, in O(N + E).
    """
    if len(child) == 0 or bool(np.all(parent < child)):
        return np.arange(n, dtype=np.int64)
    order_e = np.argsort(child, kind="stable")
    pars = parent[order_e].tolist()
    ptr = np.concatenate([[0], np.cumsum(np.bincount(child, minlength=n))]).tolist()
    placed = bytearray(n)
    out: list[int] = []
    for root in range(n):
        if placed[root]:
            continue
        stack = [(root, ptr[root])]
        while stack:
            v, k = stack[-1]
            end = ptr[v + 1]
            while k < end and placed[pars[k]]:
                k += 1
            if k < end:
                stack[-1] = (v, k + 1)
                stack.append((pars[k], ptr[pars[k]]))
            else:
                stack.pop()
                if not placed[v]:
                    placed[v] = 1
                    out.append(v)
    return np.array(out, dtype=np.int64)
