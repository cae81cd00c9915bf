"""Hypothesis strategy: random valid pedigrees as lists of PedigreeRecord.

Animals are generated oldest first; parents are earlier animals of the right
sex (animals of unknown sex never become parents). Some slots are unknown,
WILD or MULT (2–3 candidates), some founders are inbred, some animals alive or
excluded from analysis; some are littermates of the animal before them,
sharing its MULT parent (one mating).
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import strategies as st

from studbook.pedigree import PedigreeRecord


@st.composite
def pedigree_records(draw: st.DrawFn, min_size: int = 1, max_size: int = 24) -> list[PedigreeRecord]:
    n = draw(st.integers(min_size, max_size))
    recs: list[PedigreeRecord] = []
    males: list[str] = []
    females: list[str] = []
    for i in range(n):
        sex = draw(st.sampled_from("MFFMU"))
        rid = f"a{i}"
        kw: dict = {}
        for slot, pool in (("sire", males), ("dam", females)):
            kind = draw(st.sampled_from(["known", "known", "known", "unknown", "wild", "mult"]))
            if kind in ("known", "mult") and not pool:
                kind = "unknown"
            if kind == "known":
                kw[slot] = draw(st.sampled_from(pool))
            elif kind == "wild":
                kw[f"{slot}_wild"] = True
            elif kind == "mult":
                k = draw(st.integers(1, min(3, len(pool))))
                cands = draw(st.lists(st.sampled_from(pool), min_size=k, max_size=k, unique=True))
                w = [draw(st.integers(1, 5)) for _ in cands]
                probs = [x / sum(w) for x in w]
                kw[f"{slot}_mult"] = tuple(zip(cands, probs))
        prev = recs[-1] if recs else None
        if prev is not None and (prev.sire_mult or prev.dam_mult) and draw(st.integers(0, 2)) == 0:
            # a littermate of the previous animal: the same parents, one mating
            kw = {k: getattr(prev, k) for k in ("sire", "dam", "sire_wild", "dam_wild", "sire_mult", "dam_mult")}
            keys = {f"{slot}_mult_litter": getattr(prev, f"{slot}_mult_litter") or f"L{len(recs) - 1}{slot}"
                    for slot in ("sire", "dam") if getattr(prev, f"{slot}_mult")}
            kw.update(keys)
            recs[-1] = replace(prev, **keys)
        founder = not any(k in kw for k in ("sire", "dam", "sire_mult", "dam_mult"))
        if founder and draw(st.integers(0, 4)) == 0:
            kw["founder_inbreeding"] = draw(st.sampled_from([0.125, 0.25, 0.5]))
        recs.append(PedigreeRecord(
            rid, sex=sex, alive=draw(st.booleans()),
            in_analysis=draw(st.integers(0, 5)) > 0, **kw))
        if sex == "M":
            males.append(rid)
        elif sex == "F":
            females.append(rid)
    return recs
