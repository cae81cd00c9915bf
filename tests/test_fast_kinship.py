"""``kinship_matrix(out=...)`` and ``genetics kinship --matrix --output FILE`` (issue 13).

The matrix written into a preallocated array or a ``.npy`` file, and the ``.csv`` file,
are compared with the plain in-memory path (``--format csv`` / ``--format json`` on
stdout) and with the dense tabular reference.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from conftest import jout, ok, run_cli
from hypothesis import given, settings
from numpy.lib.format import open_memmap
from reference.naive_kinship import dense_kinship
from strategies import pedigree_records

from studbook.genetics import kinship_matrix
from studbook.pedigree import Pedigree


@settings(max_examples=40, deadline=None)
@given(pedigree_records(max_size=24))
def test_out_array_equals_dense_reference(recs) -> None:
    ped = Pedigree.from_records(recs)
    idx = np.arange(ped.n)
    want = dense_kinship(ped)
    for dt in (np.float64, np.float32):
        out = np.full((ped.n, ped.n), np.nan, dtype=dt)
        got = kinship_matrix(ped, idx, dtype=dt, out=out, block=5)
        assert got is out
        np.testing.assert_allclose(out, want, atol=1e-6 if dt is np.float32 else 1e-12)
        np.testing.assert_array_equal(out, out.T)


def test_out_is_checked() -> None:
    from studbook.pedigree import PedigreeRecord as R

    ped = Pedigree.from_records([R("A", sex="M"), R("B", sex="F"), R("C", "A", "B")])
    with pytest.raises(ValueError, match="out must be"):
        kinship_matrix(ped, [0, 1, 2], out=np.empty((3, 3), np.float32))
    with pytest.raises(ValueError, match="out must be"):
        kinship_matrix(ped, [0, 1, 2], out=np.empty((2, 2)))


def test_npy_output_to_memmap(tmp_path: Path) -> None:
    from studbook.pedigree import PedigreeRecord as R

    ped = Pedigree.from_records([R("A", sex="M"), R("B", sex="F"), R("C", "A", "B", sex="M"),
                                 R("D", "A", "B", sex="F"), R("E", "C", "D")])
    m = open_memmap(tmp_path / "k.npy", mode="w+", dtype=np.float64, shape=(3, 3))
    kinship_matrix(ped, [2, 3, 4], out=m)
    m.flush()
    del m
    assert np.load(tmp_path / "k.npy").tolist() == [[0.5, 0.25, 0.375], [0.25, 0.5, 0.375], [0.375, 0.375, 0.625]]


def test_cli_output_npy_and_csv_equal_stdout(sample_url: str, tmp_path: Path) -> None:
    plain = jout(sample_url, "genetics", "kinship", "--matrix")
    ids, want = plain["ids"], np.array(plain["matrix"])
    r = ok(sample_url, "genetics", "kinship", "--matrix", "--output", str(tmp_path / "k.npy"))
    assert "kinship matrix" in r.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "k.npy"), want)
    assert (tmp_path / "k.ids.txt").read_text(encoding="utf-8").split() == ids

    stdout_csv = ok(sample_url, "genetics", "kinship", "--matrix", "--format", "csv").stdout
    ok(sample_url, "genetics", "kinship", "--matrix", "--output", str(tmp_path / "k.csv"))
    assert (tmp_path / "k.csv").read_bytes() == stdout_csv.encode("utf-8")

    # float32: 9 significant digits in the file, the exact float32 values (repr of float64) on stdout
    ok(sample_url, "genetics", "kinship", "--matrix", "--float32", "--output", str(tmp_path / "k32.csv"))
    stdout32 = ok(sample_url, "genetics", "kinship", "--matrix", "--float32", "--format", "csv").stdout

    def parse(text: str) -> tuple[list[str], np.ndarray]:
        rows = list(csv.reader(io.StringIO(text)))
        return rows[0], np.array([[float(v) for v in row[1:]] for row in rows[1:]], dtype=np.float32)

    head, got = parse((tmp_path / "k32.csv").read_text(encoding="utf-8"))
    head2, want32 = parse(stdout32)
    assert head == head2 == ["id", *ids]
    np.testing.assert_array_equal(got, want32)


def test_cli_output_refusals(sample_url: str, tmp_path: Path) -> None:
    r = run_cli(sample_url, "genetics", "kinship", "--output", str(tmp_path / "k.npy"))
    assert r.exit_code != 0 and "--matrix" in r.stderr
    r = run_cli(sample_url, "genetics", "kinship", "--matrix", "--output", str(tmp_path / "k.parquet"))
    assert r.exit_code != 0 and ".npy or .csv" in r.stderr
    r = run_cli(sample_url, "genetics", "kinship", "--matrix", "--output", str(tmp_path / "missing" / "k.npy"))
    assert r.exit_code != 0 and "cannot write" in r.stderr and "Traceback" not in r.stderr
