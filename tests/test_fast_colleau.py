"""Mean kinship right after a compiled F (issue 13): ``Φ x`` on the kernel's node arrays.

When F comes from the numba kernel, ``kinship_times`` sweeps the kernel's own node
arrays (``_numba_kernels.colleau``) instead of building the node graph. Compared with
the dense tabular reference and with the node-graph sweeps, on hypothesis pedigrees
(WILD, MULT, MULT litters, inbred founders) and a reference pedigree.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from pedigree_gallery import load_pedigree, pedigree_names
from reference.naive_kinship import dense_kinship
from strategies import pedigree_records

from studbook.genetics import mean_kinship
from studbook.genetics._graph import build_graph
from studbook.genetics.kinship import kinship_times
from studbook.pedigree import Pedigree

pytest.importorskip("numba")
inb = importlib.import_module("studbook.genetics.inbreeding")


def compiled(ped: Pedigree) -> Pedigree:
    """A fresh copy of *ped* whose F came from the compiled kernel (as above NUMBA_MIN_NODES)."""
    fresh = Pedigree(**{k: getattr(ped, k) for k in Pedigree.__dataclass_fields__ if k != "_cache"})
    st = inb._compute_numba(fresh)
    fresh._cache["diag_state"] = st
    assert "numba_nodes" in fresh._cache and "node_graph" not in fresh._cache
    return fresh


@settings(max_examples=60, deadline=None)
@given(pedigree_records(max_size=24))
def test_compiled_product_equals_dense_and_graph_sweeps(recs) -> None:
    ped = compiled(Pedigree.from_records(recs))
    rng = np.random.default_rng(len(recs))
    x1 = rng.random(ped.n)
    x2 = rng.random((ped.n, 3))
    got1, got2 = kinship_times(ped, x1), kinship_times(ped, x2)
    assert "node_graph" not in ped._cache  # no graph was built
    phi = dense_kinship(ped)
    np.testing.assert_allclose(got1, phi @ x1, atol=1e-12)
    np.testing.assert_allclose(got2, phi @ x2, atol=1e-12)
    plain = Pedigree.from_records(recs)  # the node-graph sweeps
    np.testing.assert_allclose(got2, kinship_times(plain, x2), atol=1e-13)


@pytest.mark.parametrize("name", pedigree_names()[:3])
def test_mean_kinship_after_compiled_f_on_reference_pedigrees(name: str) -> None:
    plain = load_pedigree(name)
    ped = compiled(plain)
    idx = np.arange(ped.n)
    build_graph(plain)
    np.testing.assert_allclose(mean_kinship(ped, idx) if len(ped.living) else 0,
                               mean_kinship(plain, idx) if len(plain.living) else 0, atol=1e-13)
    x = np.linspace(0, 1, ped.n)
    np.testing.assert_allclose(kinship_times(ped, x), kinship_times(plain, x), atol=1e-12)
