"""How much the unknown parents matter: the pedigree with each UNK parent replaced by a MULT hypothesis.

Pure: a :class:`~studbook.pedigree.Pedigree` in, a new Pedigree (or numbers) out; nothing
is written to the book. An UNK parent is, by default, a unique phantom founder unrelated
to everybody ("UNK as founders", what every report shows). The alternative "UNK as MULT
of the potential parents" replaces each UNK slot by the probability-weighted mixture of
its candidates (``services.parentage`` finds them), exactly as a recorded MULT parent
enters the kinship computation (Lacy 2012: φ(i, slot) = Σ_k π_k φ(i, c_k); see
:mod:`studbook.genetics.kinship`), so the two pedigrees differ only in those slots.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from studbook.pedigree import Pedigree, PedigreeRecord

Proposals = Mapping[tuple[str, str], tuple[tuple[str, float], ...]]
"""``(studbook_id, "sire"|"dam") -> ((candidate, probability), ...)``."""

MEASURES = ("gene_diversity", "founder_genome_equivalents", "mean_kinship", "n_founders",
            "n_phantom_founders", "founder_equivalents", "mean_inbreeding", "mean_percent_known")


def _is_unk(r: PedigreeRecord, role: str) -> bool:
    if role == "sire":
        return r.sire is None and not r.sire_wild and not r.sire_mult
    return r.dam is None and not r.dam_wild and not r.dam_mult


def with_mult_parents(ped: Pedigree, proposals: Proposals) -> tuple[Pedigree, int]:
    """(the pedigree with each proposed UNK slot made MULT, how many slots were replaced).

    A proposal is used only when its animal is in *ped*, the slot is UNK there and every
    candidate is in *ped* (a pedigree read as of an earlier day may lack the young).
    Young of one known parent born on the same day (same ``birth_year``) with the same
    proposal are one litter, so one mating: they share the unknown parent, as recorded
    MULT littermates do (:mod:`studbook.genetics._graph`).
    Example:
        >>> ped = Pedigree.from_records([PedigreeRecord("S1", sex="M"), PedigreeRecord("S2", sex="M"),
        ...     PedigreeRecord("D", sex="F"), PedigreeRecord("Y", dam="D")])
        >>> new, n = with_mult_parents(ped, {("Y", "sire"): (("S1", 0.5), ("S2", 0.5))})
        >>> n, new.sire_mult.of(new.index_of("Y")) == [(new.index_of("S1"), 0.5), (new.index_of("S2"), 0.5)]
        (1, True)
    """
    have = set(ped.ids)
    records = ped.to_records()
    out: list[PedigreeRecord] = []
    used = 0
    for r in records:
        for role in ("sire", "dam"):
            cands = proposals.get((r.id, role))
            if not cands or not _is_unk(r, role) or any(c not in have for c, _p in cands):
                continue
            mult = tuple((c, float(p)) for c, p in cands)
            other = r.dam if role == "sire" else r.sire
            key = None if other is None or r.birth_year is None else f"{other}@{r.birth_year!r}:{sorted(mult)}"
            r = replace(r, sire_mult=mult, sire_mult_litter=key) if role == "sire" else \
                replace(r, dam_mult=mult, dam_mult_litter=key)
            used += 1
        if r.founder_inbreeding and (r.sire_mult or r.dam_mult):
            r = replace(r, founder_inbreeding=0.0)  # no longer a founder
        out.append(r)
    return Pedigree.from_records(out, check_sex=False), used


def summary_both(ped: Pedigree, proposals: Proposals) -> dict[str, Any]:
    """The population summary under both assumptions: ``{"unk_as_founders": {...}, "unk_as_mult": {...},
    "replaced": n}`` (measures as :class:`~studbook.genetics.diversity.PopulationSummary`)."""
    from studbook.genetics.diversity import population_summary

    alt, used = with_mult_parents(ped, proposals)
    return {"unk_as_founders": population_summary(ped).to_dict(),
            "unk_as_mult": population_summary(alt).to_dict(), "replaced": used}
