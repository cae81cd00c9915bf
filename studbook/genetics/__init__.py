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

from studbook.genetics.diversity import (
    PopulationSummary,
    founder_genome_equivalents_from_mk,
    gene_diversity,
    mean_kinship,
    population_summary,
)
from studbook.genetics.founders import (
    decode_phantom,
    founder_codes,
    founder_contributions,
    founder_equivalents,
    founder_labels,
    percent_known,
)
from studbook.genetics.genedrop import GeneDropResult, gene_drop
from studbook.genetics.inbreeding import inbreeding
from studbook.genetics.kinship import kinship_matrix, kinship_times

__all__ = [
    "GeneDropResult",
    "PopulationSummary",
    "decode_phantom",
    "founder_codes",
    "founder_contributions",
    "founder_equivalents",
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
