"""MSI scale: thresholds from the config, monotonicity, labels, config parsing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studbook.errors import InvalidInputError
from studbook.recommend import DASH, MSIConfig, msi_label, msi_scores

finite = st.floats(-0.2, 0.2, allow_nan=False)
prop = st.floats(0.0, 1.0, allow_nan=False)


def test_base_scores_follow_gain_cuts():
    cfg = MSIConfig()
    gains = [0.05, 0.02, 0.01, 0.005, 0.001, 0.0, -0.005, -0.01, -0.02, -0.03, -0.1]
    got = msi_scores(gains, 0.0, 0.0, 1.0, cfg).tolist()
    assert got == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6]


def test_population_size_scales_delta_gd():
    assert msi_scores(0.0002, 0, 0, 1, population_size=100).tolist() == 1   # 0.02
    assert msi_scores(0.0002, 0, 0, 1).tolist() == 3


def test_mk_difference_worsens_and_caps_at_six():
    cfg = MSIConfig()
    assert msi_scores([0.05] * 3, [0.0, 0.04, 0.08], 0, 1, cfg).tolist() == [1, 2, 3]
    assert msi_scores(-0.05, 0.1, 0, 1, cfg).tolist() == 6


def test_inbreeding_and_unknown_ancestry():
    cfg = MSIConfig()
    assert msi_scores(0.05, 0, [0.1, 0.125, 0.2, 0.25], 1, cfg).tolist() == [1, 6, 6, DASH]
    assert msi_scores(0.05, 0, 0, [0.5, 0.49, np.nan], cfg).tolist() == [1, DASH, DASH]
    assert msi_scores(np.nan, 0, 0, 1, cfg).tolist() == DASH


def test_custom_thresholds_are_used():
    cfg = MSIConfig.from_mapping({"gain_cuts": [1, 0.5, 0, -0.5, -1], "inbreeding_six": 0.05,
                                  "inbreeding_dash": 0.1, "known_dash": 0.9,
                                  "mk_difference_plus1": 0.5, "mk_difference_plus2": 0.6})
    assert msi_scores([0.7, 0.2, -0.7], 0, 0, 1, cfg).tolist() == [2, 3, 5]
    assert msi_scores(0.7, 0.55, 0, 1, cfg).tolist() == 3
    assert msi_scores(2, 0, [0.06, 0.1], 1, cfg).tolist() == [6, DASH]
    assert msi_scores(2, 0, 0, 0.8, cfg).tolist() == DASH


def severity(score: int) -> int:
    return 7 if score == DASH else score


@settings(max_examples=200, deadline=None)
@given(finite, finite, st.floats(0, 0.2), st.floats(0, 0.5), st.floats(0, 0.5), prop)
def test_monotone(g1, g2, mkd, f1, f2, known):
    lo, hi = sorted((g1, g2))
    s_lo, s_hi = msi_scores([lo, hi], mkd, f1, known).tolist()
    assert severity(s_hi) <= severity(s_lo)          # more ΔGD never worse
    fl, fh = sorted((f1, f2))
    a, b = msi_scores(hi, mkd, [fl, fh], known).tolist()
    assert severity(b) >= severity(a)                # higher F never better
    c, d = msi_scores(hi, [mkd, mkd + 0.05], fl, known).tolist()
    assert severity(d) >= severity(c)                # larger MK difference never better


def test_labels():
    assert [msi_label(s) for s in (1, 2, 3, 4, 5, 6, DASH)] == ["1", "2", "3", "4", "5", "6", "-"]
    with pytest.raises(ValueError):
        msi_label(7)


def test_from_mapping_rejects_unknown_and_bad_values():
    with pytest.raises(InvalidInputError, match="unknown MSI setting"):
        MSIConfig.from_mapping({"inbreeding_sixx": 0.1})
    with pytest.raises(InvalidInputError, match="decreasing"):
        MSIConfig.from_mapping({"gain_cuts": [0, 1, 2, 3, 4]})
    with pytest.raises(InvalidInputError, match="not a number"):
        MSIConfig.from_mapping({"known_dash": "abc"})
    with pytest.raises(InvalidInputError, match="inbreeding_dash"):
        MSIConfig(inbreeding_six=0.3, inbreeding_dash=0.25)
    assert MSIConfig.from_mapping({}) == MSIConfig()


# --- PMx's unknown-ancestry rule looks at each parent (issue 10, item 2) -------------------------------

from studbook.recommend.msi import msi_rule, parent_known_dash  # noqa: E402


def test_parent_rule_dashes_a_pair_with_one_poorly_known_parent():
    # 44% known male with a 100% known female: offspring 72% known passes the offspring rule,
    # but PMx's rule looks at each parent.
    assert msi_scores(0.05, 0, 0, 0.72).tolist() == 1
    assert parent_known_dash(1, 0.44, 1.0).tolist() == DASH
    assert parent_known_dash(1, 1.0, 0.44).tolist() == DASH
    # exactly at the threshold is not "under" it; two well-known parents are unaffected
    assert parent_known_dash([1, 3, 6], [0.5, 0.9, 1.0], [0.5, 1.0, 0.75]).tolist() == [1, 3, 6]
    assert parent_known_dash(2, np.nan, 1.0).tolist() == DASH


def test_parent_threshold_comes_from_the_config():
    cfg = MSIConfig.from_mapping({"parent_known_dash": 0.75})
    assert parent_known_dash([2, 2], [0.7, 0.8], [1.0, 0.8], cfg).tolist() == [DASH, 2]
    assert parent_known_dash(2, 0.0, 0.0, MSIConfig(parent_known_dash=0.0)).tolist() == 2
    with pytest.raises(InvalidInputError, match="parent_known_dash"):
        MSIConfig(parent_known_dash=1.5)


def test_example_config_file_has_the_parent_threshold():
    import tomllib
    from pathlib import Path

    data = tomllib.loads((Path(__file__).parents[1] / "docs" / "msi.example.toml").read_text())["msi"]
    assert data["parent_known_dash"] == 0.5
    assert MSIConfig.from_mapping(data) == MSIConfig()


def test_rule_text_names_what_set_the_score():
    assert msi_rule(0.05, 0, 0, 0.444, 1.0, male="male 1383") == "male 1383 44.4% known < 50%"
    assert msi_rule(0.05, 0, 0, 0.3, 0.2) == "male 30% known < 50%; female 20% known < 50%"
    assert msi_rule(0.05, 0, 0.25, 1, 1) == "offspring F 0.25 >= 0.25"
    assert msi_rule(0.05, 0, 0.125, 1, 1) == "offspring F 0.125 >= 0.125"
    assert msi_rule(0.01, 0, 0, 1, 1).startswith("delta-GD class 2 ")
    assert msi_rule(-0.05, 0, 0, 1, 1).startswith("delta-GD class 6 ")
    assert msi_rule(0.05, 0.08, 0, 1, 1).endswith("+2 for MK difference 0.08 >= 0.08")
    # offspring rule (stricter config) still reported
    assert msi_rule(0.05, 0, 0, 0.6, 0.6, MSIConfig(known_dash=0.7)) == "offspring 60% known < 70%"


def _tiny():
    """A hand-made book. % known by hand (a WILD parent slot is 1, an unknown one 0, a known parent its own %):
    W1, W2, W3 wild-caught: 100%; U (parents unknown): 0%; A = W1 x U: ½(1 + 0) = 50%;
    B = A x W2: ½(½ + 1) = 75%; C = W3 x U: 50%; D = A x U: ½(½ + 0) = 25%."""
    from studbook.pedigree import Pedigree
    from studbook.pedigree import PedigreeRecord as R

    wild = {"sire_wild": True, "dam_wild": True}
    return Pedigree.from_records([
        R("W1", sex="M", **wild), R("W2", sex="F", **wild), R("W3", sex="M", **wild), R("U", sex="F"),
        R("A", "W1", "U", sex="M"), R("B", "A", "W2", sex="F"), R("C", "W3", "U", sex="F"),
        R("D", "A", "U", sex="M"),
    ])


def test_tiny_pedigree_percent_known_by_hand_and_parent_rule():
    from studbook.genetics import kinship_matrix, percent_known
    from studbook.recommend.pairing import evaluate_pairs

    ped = _tiny()
    known = dict(zip(ped.ids, percent_known(ped).tolist()))
    assert known == {"W1": 1.0, "W2": 1.0, "W3": 1.0, "U": 0.0, "A": 0.5, "B": 0.75, "C": 0.5, "D": 0.25}
    idx = list(range(ped.n))
    K = kinship_matrix(ped, idx)
    kn = np.array([known[i] for i in ped.ids])
    pos = {s: k for k, s in enumerate(ped.ids)}
    males = [pos[s] for s in ("W1", "W3", "A", "D")]
    females = [pos[s] for s in ("W2", "B", "C")]
    t = evaluate_pairs(K, males, females, kn)
    msi = parent_known_dash(t.msi, kn[t.male], kn[t.female])
    got = {(ped.ids[m], ped.ids[f]): int(s) for m, f, s in zip(t.male, t.female, msi)}
    # D (25% known) is "-" with every female, although D x W2's offspring is ½(¼ + 1) = 62.5% known
    assert t.offspring_known[list(zip(t.male, t.female)).index((pos["D"], pos["W2"]))] == pytest.approx(0.625)
    assert all(got[("D", f)] == DASH for f in ("W2", "B", "C"))
    # A and C (50% known: at the threshold) are not dashed by the parent rule; W3 x W2 (both wild) neither
    before = {(ped.ids[m], ped.ids[f]): int(s) for m, f, s in zip(t.male, t.female, t.msi)}
    for pair in (("A", "W2"), ("W3", "W2"), ("W1", "C"), ("W3", "B")):
        assert got[pair] == before[pair]
    assert before[("W3", "W2")] != DASH


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans(), st.integers(0, 9), st.integers(0, 9)), min_size=2,
                max_size=12), prop)
def test_parent_rule_on_random_pedigrees(rows, threshold):
    """% known against a naive recursive twin, and "-" exactly when a parent is under the threshold."""
    from studbook.genetics import percent_known
    from studbook.pedigree import Pedigree
    from studbook.pedigree import PedigreeRecord as R

    recs, naive = [], {}
    for k, (sw, dw, s, d) in enumerate(rows):
        sire = f"a{s}" if s < k and s % 2 == 0 else None   # even-numbered animals are males
        dam = f"a{d}" if d < k and d % 2 == 1 else None
        recs.append(R(f"a{k}", sire, dam, sire_wild=sw and sire is None, dam_wild=dw and dam is None,
                      sex="M" if k % 2 == 0 else "F"))

        def slot(parent, wild):
            return naive[parent] if parent else (1.0 if wild else 0.0)
        naive[f"a{k}"] = 0.5 * (slot(sire, sw and sire is None) + slot(dam, dw and dam is None))
    ped = Pedigree.from_records(recs)
    got = dict(zip(ped.ids, percent_known(ped).tolist()))
    assert got == pytest.approx(naive)
    cfg = MSIConfig(parent_known_dash=threshold)
    ids = list(naive)
    males = [i for i in ids if int(i[1:]) % 2 == 0]
    females = [i for i in ids if int(i[1:]) % 2 == 1]
    for m in males:
        for f in females:
            s = int(parent_known_dash(3, got[m], got[f], cfg))
            assert (s == DASH) == (naive[m] < threshold or naive[f] < threshold)
