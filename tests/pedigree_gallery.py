"""Load the shared reference pedigrees (``../shared/reference``) as records.

The shared directory is ``<repo>/../shared`` or ``$STUDBOOK_SHARED_DIR``.
"""

from __future__ import annotations

import csv
import os
from functools import cache
from pathlib import Path

from studbook.pedigree import Pedigree, PedigreeRecord


def shared_dir() -> Path:
    env = os.environ.get("STUDBOOK_SHARED_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared"


def pedigree_dir() -> Path:
    return shared_dir() / "reference" / "pedigrees"


def subset_dir() -> Path:
    return shared_dir() / "reference" / "subsets"


ERROR_PEDIGREES = ("optisel_hinterwald_errors",)


def pedigree_names(include_errors: bool = False) -> list[str]:
    d = pedigree_dir()
    if not d.is_dir():
        return []
    names = sorted(p.stem for p in d.glob("*.csv"))
    return [n for n in names if include_errors or n not in ERROR_PEDIGREES]


def has_subset(name: str) -> bool:
    return (subset_dir() / f"{name}.txt").exists()


def subset_ids(name: str) -> list[str]:
    path = subset_dir() / f"{name}.txt"
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]


def load_records(name: str, living: list[str] | None = None) -> list[PedigreeRecord]:
    """Records of pedigree ``name``; ``living`` ids (default: its subset) are alive."""
    if living is None:
        sub = subset_dir() / f"{name}.txt"
        living = subset_ids(name) if sub.exists() else []
    alive = set(living)
    out = []
    with (pedigree_dir() / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            by = row.get("birth_year") or ""
            out.append(PedigreeRecord(
                id=row["id"], sire=row["sire"] or None, dam=row["dam"] or None,
                sex=row["sex"] or "U", alive=row["id"] in alive,
                birth_year=float(by) if by else None))
    return out


@cache
def load_pedigree(name: str) -> Pedigree:
    return Pedigree.from_records(load_records(name))
