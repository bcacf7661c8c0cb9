"""The paired statistics against published worked examples."""

from __future__ import annotations

import pytest

from courses.outcomes.stats import paired_change

# Student (1908), "The probable error of a mean", Biometrika 6(1): extra hours of sleep of
# ten patients with two drugs (Cushny and Peebles). R ships them as ``datasets::sleep``; its
# documentation prints for ``t.test(extra ~ group, data = sleep, paired = TRUE)``:
# t = -4.0621, df = 9, p-value = 0.002833, 95 percent confidence interval -2.4598858
# -0.7001142, mean difference -1.58 (group 1 minus group 2).
DRUG_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
DRUG_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def test_student_sleep_data_gives_the_printed_interval():
    """Student's sleep data (Biometrika 1908), as printed by R's ``t.test`` example."""
    change = paired_change(DRUG_1, DRUG_2)
    assert change.pairs == 10
    assert change.mean_before == pytest.approx(0.75)
    assert change.mean_after == pytest.approx(2.33)
    assert change.mean_change == pytest.approx(1.58)
    assert change.ci_low == pytest.approx(0.7001142, abs=1e-7)
    assert change.ci_high == pytest.approx(2.4598858, abs=1e-7)
    # For paired data t = d_z * sqrt(n), so d_z = 4.0621 / sqrt(10) = 1.2846.
    assert change.effect_size == pytest.approx(4.0621 / 10**0.5, abs=1e-4)
    assert (change.improved, change.same, change.declined) == (0.9, 0.1, 0.0)


def test_everyone_changing_alike_has_no_interval_and_no_effect_size():
    change = paired_change([3, 4, 5], [5, 6, 7])
    assert change.mean_change == 2
    assert change.ci_low is None and change.ci_high is None and change.effect_size is None
    assert change.improved == 1


def test_no_pairs_is_a_programming_error():
    with pytest.raises(ValueError):
        paired_change([], [])
