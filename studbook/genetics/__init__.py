"""Pedigree genetics: kinship, inbreeding, mean kinship, founders, gene drop.

Pure numpy (scipy.sparse is imported lazily by :func:`kinship_matrix`; networkx
only on the pedigree-error path). Every function takes a frozen
:class:`~studbook.pedigree.Pedigree` and works with indices; map results back
to studbook ids with ``ped.ids``.

Conventions (see the module docs for formulas and references):

* kinship φ (not the relationship matrix A = 2Φ) everywhere;
* an unknown or WILD parent of an animal whose other parent is known is a unique
  *phantom founder* ("UNK sire of X");
* a MULT parent is the probability-weighted mixture of its candidates (Lacy 2012);
* L = living analysis population = ``alive & in_analysis``; MK includes self.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# Names are imported on first use (PEP 562), so that a command that needs only F
# does not pay for loading the gene drop or the kinship-matrix machinery.
_WHERE = {
    "PopulationSummary": "diversity", "founder_genome_equivalents_from_mk": "diversity",
    "gene_diversity": "diversity", "mean_kinship": "diversity", "population_summary": "diversity",
    "decode_phantom": "founders", "founder_codes": "founders", "founder_contributions": "founders",
    "founder_equivalents": "founders", "founder_labels": "founders", "percent_known": "founders",
    "founder_shares": "founders",
    "GeneDropResult": "genedrop", "gene_drop": "genedrop",
    "kinship_matrix": "kinship", "kinship_times": "kinship",
}


# `inbreeding` is both a submodule and a function: import the function eagerly so that
# importing the submodule elsewhere can never replace it on the package.
from studbook.genetics.inbreeding import inbreeding  # noqa: E402


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        value = getattr(importlib.import_module(f"studbook.genetics.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'studbook.genetics' has no attribute {name!r}")


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from studbook.genetics.diversity import (  # noqa: F401
        PopulationSummary,
        founder_genome_equivalents_from_mk,
        gene_diversity,
        mean_kinship,
        population_summary,
    )
    from studbook.genetics.founders import (  # noqa: F401
        decode_phantom,
        founder_codes,
        founder_contributions,
        founder_equivalents,
        founder_labels,
        founder_shares,
        percent_known,
    )
    from studbook.genetics.genedrop import GeneDropResult, gene_drop  # noqa: F401
    from studbook.genetics.kinship import kinship_matrix, kinship_times  # noqa: F401

__all__ = [
    "GeneDropResult",
    "PopulationSummary",
    "decode_phantom",
    "founder_codes",
    "founder_contributions",
    "founder_equivalents",
    "founder_shares",
    "founder_genome_equivalents_from_mk",
    "founder_labels",
    "gene_diversity",
    "gene_drop",
    "inbreeding",
    "kinship_matrix",
    "kinship_times",
    "mean_kinship",
    "percent_known",
    "population_summary",
]
