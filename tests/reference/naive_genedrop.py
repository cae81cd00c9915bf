"""Naive gene drop: one iteration at a time, one animal at a time (tests only).

Same model as :func:`studbook.genetics.gene_drop`: two unique alleles per founder
(phantom founders included), Mendelian sampling, a MULT slot picks one candidate
per iteration with its probability, an inbred founder is autozygous with
probability F; littermates of one MULT mating (``MultParents.litter``) share the draw.
Returns per-founder retention (aligned with ``founder_codes``)
and the per-iteration gene diversity 1 − Σ q² over the living population.
"""

from __future__ import annotations

import random

import numpy as np

from reference.naive_kinship import slots
from studbook.genetics.founders import founder_codes
from studbook.pedigree import Pedigree


def naive_gene_drop(ped: Pedigree, iterations: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rnd = random.Random(seed)
    codes = founder_codes(ped).tolist()
    first = {}
    for j, c in enumerate(codes):
        first[("real", c) if c >= 0 else ("phantom", (-1 - c) // 2, (-1 - c) % 2)] = 2 * j
    living = ped.living.tolist()
    retention = np.zeros(len(codes))
    gds = []
    for _ in range(iterations):
        genes: list[tuple[int, int]] = []
        drawn: dict[tuple[int, int], int] = {}  # (slot, litter) -> this iteration's parent
        for i in range(ped.n):
            s, d = slots(ped, i)
            if not s and not d:
                a = first[("real", i)]
                b = a if rnd.random() < ped.founder_inbreeding[i] else a + 1
                genes.append((a, b))
                continue
            pair = []
            for slot, cands in enumerate((s, d)):
                if not cands:
                    pair.append(first[("phantom", i, slot)] + rnd.randrange(2))
                    continue
                litter = (slot, int((ped.sire_mult, ped.dam_mult)[slot].litters()[i]))
                if litter[1] >= 0 and litter in drawn:
                    parent = drawn[litter]
                else:
                    u, acc, parent = rnd.random(), 0.0, cands[-1][0]
                    for c, p in cands:
                        acc += p
                        if u < acc:
                            parent = c
                            break
                    drawn[litter] = parent
                pair.append(genes[parent][rnd.randrange(2)])
            genes.append((pair[0], pair[1]))
        pool = [g for i in living for g in genes[i]]
        present = set(pool)
        for j in range(len(codes)):
            retention[j] += ((2 * j in present) + (2 * j + 1 in present)) / 2.0
        counts = np.unique(pool, return_counts=True)[1] / len(pool)
        gds.append(1.0 - float(np.sum(counts ** 2)))
    return retention / iterations, np.array(gds)
