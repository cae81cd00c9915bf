"""Genetics reports: the pure genetics functions applied to the book, labelled for people."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidInputError
from .pedigree_rows import LoadedPedigree, age_years, parse_as_of, resolve_ids


def _num(x: float) -> float | None:
    """JSON-safe float: NaN -> None."""
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def noise_to_zero(x: float) -> float:
    """Kinship and F are >= 0 by definition: |x| < 5e-13 is float round-off (-1.1e-16), reported as 0.0."""
    return 0.0 if abs(x) < 5e-13 else x


def inbreeding_rows(loaded: LoadedPedigree) -> list[dict[str, Any]]:
    """``id, F`` for every animal in the book (round-off shown as 0)."""
    from ..genetics import inbreeding

    ped = loaded.pedigree
    f = inbreeding(ped)
    return [{"id": sid, "F": noise_to_zero(float(v))} for sid, v in zip(ped.ids, f)]


def kinship_selection(loaded: LoadedPedigree, ids: list[str] | None) -> np.ndarray:
    ped = loaded.pedigree
    if ids:
        idx = np.asarray(resolve_ids(ped, ids), dtype=np.int64)
        if len(set(idx.tolist())) != len(idx):
            raise InvalidInputError("an animal is listed twice", "list each ID once")
        return idx
    return np.asarray(ped.living, dtype=np.int64)


def kinship_long(loaded: LoadedPedigree, ids: list[str] | None, *, dtype: Any = np.float64) -> list[dict[str, Any]]:
    """Every unordered pair once plus the self pairs: ``id1, id2, kinship``."""
    from ..genetics import kinship_matrix

    ped = loaded.pedigree
    idx = kinship_selection(loaded, ids)
    k = kinship_matrix(ped, idx, dtype=dtype)
    labels = [ped.ids[i] for i in idx]
    iu, ju = np.triu_indices(len(idx))
    return [{"id1": labels[a], "id2": labels[b], "kinship": noise_to_zero(float(k[a, b]))}
            for a, b in zip(iu.tolist(), ju.tolist())]


def kinship_square(loaded: LoadedPedigree, ids: list[str] | None, *, dtype: Any = np.float64) -> tuple[list[str], np.ndarray]:
    from ..genetics import kinship_matrix

    ped = loaded.pedigree
    idx = kinship_selection(loaded, ids)
    return [ped.ids[i] for i in idx], kinship_matrix(ped, idx, dtype=dtype)


def write_kinship_matrix(loaded: LoadedPedigree, ids: list[str] | None, path: str, *,
                         dtype: Any = np.float64, block_rows: int = 256) -> int:
    """Write the square kinship matrix among *ids* (default: the living analysis population) to
    *path* without holding it twice; returns the number of animals.

    ``.npy``: the matrix is computed straight into the file (``numpy.lib.format.open_memmap``),
    and the IDs, in row order, go one per line to ``<path minus .npy>.ids.txt`` (usable as
    ``--ids-file``). ``.csv``: the ``--format csv`` layout (header ``id,<ids>``, one row per
    animal, full precision: ``repr`` of float64, 9 significant digits for float32), written
    *block_rows* rows at a time. Anything else is refused.

    Raises:
        InvalidInputError: another suffix, or the file cannot be written.
    """
    from ..genetics import kinship_matrix

    suffix = Path(path).suffix.lower()
    if suffix not in (".npy", ".csv"):
        raise InvalidInputError(f"--output {path}: the matrix is written as .npy or .csv",
                                "name the file FILE.npy (binary, fastest) or FILE.csv")
    ped = loaded.pedigree
    idx = kinship_selection(loaded, ids)
    labels = [ped.ids[i] for i in idx]
    k = len(labels)
    try:
        if suffix == ".npy":
            from numpy.lib.format import open_memmap

            Path(_ids_path(path)).write_text("".join(f"{x}\n" for x in labels), encoding="utf-8")
            out = open_memmap(path, mode="w+", dtype=np.dtype(dtype), shape=(k, k))
            kinship_matrix(ped, idx, dtype=dtype, out=out)
            out.flush()
            del out
            return k
        import csv

        from ..io.cells import escape_cell

        m = kinship_matrix(ped, idx, dtype=dtype)
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\r\n")
            w.writerow(["id", *(escape_cell(x) for x in labels)])
            row_fmt = ",".join(["%.9g"] * k) if np.dtype(dtype) == np.float32 else None
            for a in range(0, k, block_rows):
                lines = []
                for lab, row in zip(labels[a:a + block_rows], m[a:a + block_rows]):
                    vals = row_fmt % tuple(row.tolist()) if row_fmt else ",".join(map(repr, row.tolist()))
                    lines.append(f"{_csv_cell(str(escape_cell(lab)))},{vals}\r\n")
                fh.write("".join(lines))
        return k
    except OSError as exc:
        raise InvalidInputError(f"cannot write {path}: {exc.strerror or exc}",
                                "check the folder, its permissions and the free disk space") from None


def _ids_path(path: str) -> str:
    """The IDs file next to a ``.npy`` matrix: ``k.npy`` -> ``k.ids.txt``."""
    p = Path(path)
    return str(p.with_name(p.stem + ".ids.txt"))


def _csv_cell(text: str) -> str:
    """One CSV cell as ``csv.writer`` quotes it (minimal quoting)."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def mean_kinship_rows(loaded: LoadedPedigree, weights: Any = None) -> list[dict[str, Any]]:
    """The PMx mean-kinship table of the living analysis population, lowest MK first.

    ``kinship_value``: KV_i = Σ_j v_j φ_ij / Σ_j v_j over the living analysis population
    (PMx; Ballou & Lacy 1995), v_j = Fisher's reproductive value of j's age class in the life
    table of j's sex (*weights*: ``services.demography.kinship_weights``; docs/demography.md).
    Never estimated otherwise: without weights, or when the life tables cannot give them,
    it is None and ``kinship_value_note`` says why; with them the note states the life tables used.
    """
    from ..genetics import inbreeding, mean_kinship, percent_known

    ped = loaded.pedigree
    L = np.asarray(ped.living, dtype=np.int64)
    if len(L) == 0:
        return []
    mk = mean_kinship(ped, L)
    f = inbreeding(ped)
    known = percent_known(ped)
    kv, kv_note = _kinship_values(loaded, L, weights)
    # z-score of MK, as nprcgenekeepr reports it: how far above the population mean.
    sd = float(mk.std())
    order = np.argsort(mk, kind="stable")
    rows = []
    for rank, j in enumerate(order.tolist(), start=1):
        i = int(L[j])
        sid = ped.ids[i]
        inf = loaded.info.get(sid)
        rows.append({
            "id": sid, "mean_kinship": float(mk[j]), "F": float(f[i]),
            "percent_known": round(100.0 * float(known[i]), 2), "rank": rank,
            "sex": inf.sex if inf else None, "age": age_years(inf.birth_date, loaded.day) if inf else None,
            "institution": inf.location if inf else None, "in_wild": inf.in_wild if inf else False,
            "mk_zscore": (float(mk[j]) - float(mk.mean())) / sd if sd > 0 else 0.0,
            "kinship_value": None if kv is None else float(kv[j]), "kinship_value_note": kv_note,
        })
    return rows


def _kinship_values(loaded: LoadedPedigree, L: np.ndarray, weights: Any) -> tuple[np.ndarray | None, str]:
    """(KV of each of L or None, the note): KV = Φ v / Σ v with v the reproductive values in *weights*."""
    if weights is None:
        return None, ("kinship value not computed: it needs the book's life tables "
                      "(`studbook genetics mean-kinship` computes them)")
    if weights.values is None:
        return None, f"kinship value not given: {weights.reason}"
    from ..genetics import kinship_times

    ped = loaded.pedigree
    x = np.zeros(ped.n)
    x[L] = [weights.values.get(ped.ids[int(i)], 0.0) for i in L]
    # Φ x without the matrix (as MK): KV = (Φ v)_L / Σ v.
    return kinship_times(ped, x / x.sum())[L], f"kinship value weighted by reproductive value from the {weights.basis}"


def summary(loaded: LoadedPedigree) -> dict[str, Any]:
    from ..genetics import population_summary

    s = population_summary(loaded.pedigree).to_dict()
    out: dict[str, Any] = {k: (_num(v) if isinstance(v, float) else v) for k, v in s.items()}
    out["mean_percent_known"] = None if out["mean_percent_known"] is None else round(100 * out["mean_percent_known"], 2)
    out["n_records"] = loaded.pedigree.n
    # Every living animal (captive or in the wild), excluded ones too: `animal list --alive`.
    out["n_alive"] = int(loaded.pedigree.alive.sum())
    out["n_living_in_wild"] = sum(1 for i in loaded.pedigree.living.tolist()
                                  if loaded.info[loaded.pedigree.ids[i]].in_wild)
    out["as_of"] = (loaded.day or date.today()).isoformat()
    return out


def founder_rows(loaded: LoadedPedigree, *, gene_drop_result: Any = None) -> list[dict[str, Any]]:
    """Per founder: contribution p_f to the living, living descendants, and retention if a gene drop ran."""
    from ..genetics import founder_contributions, founder_labels

    ped = loaded.pedigree
    L = np.asarray(ped.living, dtype=np.int64)
    codes, p = founder_contributions(ped, L)
    labels = founder_labels(ped, codes)
    descendants = _living_descendants(ped, codes, L)
    retention = {}
    if gene_drop_result is not None:
        for c, r, se in zip(gene_drop_result.founders.tolist(), gene_drop_result.retention.tolist(),
                            gene_drop_result.retention_se.tolist()):
            retention[c] = (r, se)
    rows = []
    for c, lab, pf, nd in zip(codes.tolist(), labels, p.tolist(), descendants):
        row = {"founder": lab, "kind": "founder" if c >= 0 else "phantom", "contribution": pf, "living_descendants": nd}
        if gene_drop_result is not None:
            r, se = retention.get(c, (float("nan"), float("nan")))
            row["retention"] = _num(r)
            row["retention_se"] = _num(se)
        rows.append(row)
    rows.sort(key=lambda r: (-r["contribution"], r["founder"]))
    return rows


def _living_descendants(ped: Any, codes: np.ndarray, L: np.ndarray) -> list[int]:
    """Number of living animals that descend from each founder (phantoms: from the child)."""
    n = ped.n
    living = np.zeros(n, dtype=bool)
    living[L] = True
    # One depth-first walk per founder over the child lists (MULT candidates count as parents).
    children: list[list[int]] = [[] for _ in range(n)]
    sire, dam = ped.sire, ped.dam
    for i in range(n):
        for p in (int(sire[i]), int(dam[i])):
            if p >= 0:
                children[p].append(i)
    mult_parents = [ped.sire_mult, ped.dam_mult]
    for mp in mult_parents:
        for child in np.flatnonzero(mp.has()).tolist():
            for cand, _prob in mp.of(child):
                children[cand].append(child)
    from ..genetics.founders import decode_phantom

    out = []
    for c in codes.tolist():
        start = c if c >= 0 else decode_phantom(c)[0]
        seen = {start}
        stack = [start]
        while stack:
            a = stack.pop()
            for ch in children[a]:
                if ch not in seen:
                    seen.add(ch)
                    stack.append(ch)
        # A founder is not its own descendant; a phantom parent's descendants include its child.
        desc = seen if c < 0 else seen - {start}
        out.append(int(sum(1 for a in desc if living[a])))
    return out


# Gene-drop memory grows with the iterations (one number per iteration and founder allele); past a
# million iterations the standard error no longer moves and memory would reach gigabytes.
MAX_GENE_DROP_ITERATIONS = 1_000_000


def run_gene_drop(loaded: LoadedPedigree, iterations: int, seed: int | None,
                  progress: Callable[[int, int], None] | None = None, threshold: int = 1) -> Any:
    from ..genetics import gene_drop

    if iterations < 1:
        raise InvalidInputError(f"--iterations {iterations} must be at least 1", "the default is 5000")
    if iterations > MAX_GENE_DROP_ITERATIONS:
        raise InvalidInputError(f"--iterations {iterations} is more than the limit of {MAX_GENE_DROP_ITERATIONS:,}",
                                "the default 5000 gives gene diversity to about 0.001; 100000 is plenty")
    if len(loaded.pedigree.living) == 0:
        raise InvalidInputError("there are no living animals in the analysis population",
                                "record living animals, or include excluded ones (studbook animal update ID --include)")
    return gene_drop(loaded.pedigree, iterations, seed=seed, progress=progress, threshold=threshold)


def gene_drop_summary(loaded: LoadedPedigree, res: Any, seed: int | None) -> dict[str, Any]:
    """Gene-drop results, the PMx-comparable FGE first.

    ``founder_genome_equivalents_from_gd`` = 1/(2(1 - GD_drop)) is the FGE PMx reports
    (it equals the MK-based FGE up to simulation error); its SE is the delta method,
    SE(GD) / (2(1 - GD)^2). ``founder_genome_equivalents_allele_retention`` =
    1/Σ(p_f²/r_f) (Lacy 1989) ignores unequal frequencies of a founder's two alleles
    among its descendants, so it is larger and not comparable with PMx's FGE.
    """
    from ..genetics import population_summary

    s = population_summary(loaded.pedigree)
    gd, gd_se = res.gene_diversity, res.gene_diversity_se
    fge_gd = 1 / (2 * (1 - gd)) if gd < 1 else None
    fge_gd_se = gd_se / (2 * (1 - gd) ** 2) if gd < 1 and gd_se == gd_se else None
    return {
        "iterations": res.iterations, "seed": seed, "n_living": int(len(res.living)),
        "founder_genome_equivalents_from_gd": _num(fge_gd) if fge_gd is not None else None,
        "founder_genome_equivalents_from_gd_se": _num(fge_gd_se) if fge_gd_se is not None else None,
        "founder_genome_equivalents_from_mk": _num(s.founder_genome_equivalents),
        "gene_diversity": _num(gd), "gene_diversity_se": _num(gd_se),
        "gene_diversity_from_mk": _num(s.gene_diversity),
        "founder_genome_equivalents_allele_retention": _num(res.fge),
        "founder_genome_equivalents_allele_retention_se": _num(res.fge_se),
        "founder_alleles_surviving": _num(res.alleles_surviving),
        "founder_alleles_surviving_se": _num(res.alleles_surviving_se),
        "genome_uniqueness_threshold": res.threshold,
    }


def genome_uniqueness_rows(loaded: LoadedPedigree, res: Any) -> list[dict[str, Any]]:
    ped = loaded.pedigree
    return [{"id": ped.ids[int(i)], "genome_uniqueness": float(g)} for i, g in zip(res.living.tolist(), res.genome_uniqueness.tolist())]


def load_for_analysis(url: str, session_factory: Callable[[], Any], as_of: str | None = None) -> LoadedPedigree:
    """The book's pedigree on ``--as-of`` *as_of* (default: the book's census date, else today).

    SQLite files go through the fast read-only path, other databases through a session;
    both run the same SQL and build the pedigree with ``pedigree_rows.build_loaded``.
    """
    from ..config import sqlite_path

    day = parse_as_of(as_of)
    path = sqlite_path(url)
    if path is not None:
        from .fastread import load_pedigree_sqlite

        return load_pedigree_sqlite(path, day)
    from .analysis import load_pedigree

    with session_factory() as session:
        return load_pedigree(session, day)
