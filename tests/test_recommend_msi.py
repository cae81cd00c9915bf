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
