"""One percentile definition (nearest rank) for every latency_p50_s / latency_p95_s the appliance reports."""

from __future__ import annotations

import pytest

from appliance.stages.evaluate import generation_summary
from audits.qa_metrics import AnswerScore, percentile, score_answers

LATENCIES = [0.3, 4.0, 0.1, 0.2]


@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [
        (LATENCIES, 0.95, 4.0),  # linear interpolation would say 3.445: a latency no answer had, below the slowest quarter
        (LATENCIES, 0.75, 0.3),
        (LATENCIES, 0.5, 0.2),  # the lower middle value, not 0.25
        (LATENCIES, 0.25, 0.1),
        (LATENCIES, 0.0, 0.1),
        (LATENCIES, 1.0, 4.0),
        ([7.0], 0.95, 7.0),
        ([float(i) for i in range(1, 21)], 0.95, 19.0),  # 19 of 20 answers took 19 s or less
        ([float(i) for i in range(1, 22)], 0.95, 20.0),  # 0.95 * 21 = 19.95: the 20th value
    ],
)
def test_percentile_is_the_smallest_value_that_the_share_of_values_do_not_exceed(values: list[float], share: float, expected: float) -> None:
    found = percentile(values, share)
    assert found == expected
    assert sum(v <= found for v in values) >= share * len(values)


def test_no_values_or_a_share_outside_0_to_1_is_refused() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)
    with pytest.raises(ValueError, match="within 0..1"):
        percentile([1.0], 95)  # a percent, not a share


def test_compare_and_the_evaluate_generation_sample_report_the_same_latency_percentiles() -> None:
    """An objective on p95_latency_s reads compare's value and falls back to evaluate's: both must mean the same."""
    compared = score_answers([AnswerScore(0.0, 0.0, 0.0, claims=0, unsupported=0, refusal=False, latency_s=s, new_tokens=1) for s in LATENCIES])
    sampled = generation_summary(LATENCIES, [1] * len(LATENCIES), [[] for _ in LATENCIES], max_new_tokens=8)
    assert (compared["latency_p50_s"], compared["latency_p95_s"]) == (sampled["latency_p50_s"], sampled["latency_p95_s"]) == (0.2, 4.0)
