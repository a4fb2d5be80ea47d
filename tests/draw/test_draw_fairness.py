"""Selection frequencies match the exact inclusion probabilities (BD-3.3 随机抽取, ZH-2.4).

Over 2,000 salts the seed changes and everything else stays fixed. With equal weights each
unit must be drawn with probability k/n; with unequal weights the hash tickets implement
Efraimidis–Spirakis sampling, whose order is successive sampling proportional to weight:
P(first = i) = w_i / W, P(second = j | first = i) = w_j / (W − w_i), and so on.
"""

from __future__ import annotations

import itertools
from collections import Counter
from fractions import Fraction

import pytest
from scipy.stats import chisquare

from shuangsuiji.draw import Candidate, render_pool
from shuangsuiji.draw.primitives import H, u32
from shuangsuiji.draw.seed import derive_seed
from shuangsuiji.draw.selection import draw_stratum
from shuangsuiji.draw.tables import parse_pool

DRAWS = 2000
ALPHA = 0.001


def _draws(weights: list[int], k: int) -> list[tuple[str, ...]]:
    ids = [f"U{i}" for i in range(len(weights))]
    pool = parse_pool(
        render_pool(
            Candidate(id=u, stratum="S", region="R", weight=w)
            for u, w in zip(ids, weights, strict=True)
        ),
        ["S"],
    )
    zero = bytes(32)
    outcomes = []
    for n in range(DRAWS):
        seed = derive_seed(H(b"fairness" + u32(n)), zero, pool.root, zero, zero, b"")
        drawn = draw_stratum(seed, "FAIR-1", "S", k, pool)
        outcomes.append(tuple(unit.id for unit in drawn.selected))
    return outcomes


def _ordered_probabilities(weights: list[int], k: int) -> dict[tuple[int, ...], Fraction]:
    """Exact probability of every ordered selection under successive sampling."""
    result = {}
    for sequence in itertools.permutations(range(len(weights)), k):
        probability, left = Fraction(1), Fraction(sum(weights))
        for i in sequence:
            probability *= weights[i] / left
            left -= weights[i]
        result[sequence] = probability
    return result


@pytest.mark.slow
def test_equal_weights_give_k_over_n() -> None:
    weights, k = [1] * 10, 3
    counts = Counter(uid for outcome in _draws(weights, k) for uid in outcome)
    observed = [counts[f"U{i}"] for i in range(len(weights))]
    expected = [DRAWS * k / len(weights)] * len(weights)
    assert chisquare(observed, expected).pvalue > ALPHA


@pytest.mark.slow
def test_unequal_weights_give_successive_sampling_probabilities() -> None:
    weights, k = [1, 1, 2, 2, 3, 5], 2
    outcomes = _draws(weights, k)
    ordered = _ordered_probabilities(weights, k)

    inclusion = [sum(p for seq, p in ordered.items() if i in seq) for i in range(len(weights))]
    assert sum(inclusion) == k
    counts = Counter(uid for outcome in outcomes for uid in outcome)
    observed = [counts[f"U{i}"] for i in range(len(weights))]
    assert chisquare(observed, [DRAWS * float(p) for p in inclusion]).pvalue > ALPHA

    # The selected pairs follow the exact pair distribution too (a true multinomial).
    pairs = Counter(frozenset(outcome) for outcome in outcomes)
    exact = Counter()
    for sequence, probability in ordered.items():
        exact[frozenset(f"U{i}" for i in sequence)] += probability
    cells = sorted(exact, key=sorted)
    assert (
        chisquare([pairs[c] for c in cells], [DRAWS * float(exact[c]) for c in cells]).pvalue
        > ALPHA
    )


@pytest.mark.slow
def test_heavier_units_are_drawn_first_more_often() -> None:
    """The first place goes to unit i with probability w_i / W."""
    weights = [1, 1, 2, 2, 3, 5]
    firsts = Counter(outcome[0] for outcome in _draws(weights, 1))
    total = sum(weights)
    observed = [firsts[f"U{i}"] for i in range(len(weights))]
    assert chisquare(observed, [DRAWS * w / total for w in weights]).pvalue > ALPHA
