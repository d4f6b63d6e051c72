"""How well the score at MQL ranks the outcomes (docs/calibration.md): AUC and lift by decile.

Both work on (score, outcome) pairs of the cycles whose outcome is known. Ties are handled by mid-ranks: tied
scores get the mean of the positions they share, so neither figure depends on the order of the facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from app.rules.calibration.bands import Score
from app.rules.kpis.figures import Ratio

DECILES = 10
Scored = tuple[Score, bool]  # a cycle's score at MQL and whether its outcome is positive


def doubled_mid_ranks(scores: Sequence[Score]) -> list[int]:
    """Return twice each score's 1-based rank in ascending order, tied scores sharing the mean of their positions
    (twice a mid-rank is a whole number: positions a … b give a + b)."""
    order = sorted(range(len(scores)), key=scores.__getitem__)
    ranks = [0] * len(scores)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = start + end + 2
        start = end + 1
    return ranks


def mid_ranks(scores: Sequence[Score]) -> list[Fraction]:
    """Return each score's 1-based rank in ascending order, tied scores sharing the mean of their positions."""
    return [Fraction(rank, 2) for rank in doubled_mid_ranks(scores)]


@dataclass(frozen=True)
class Auc:
    """The area under the ROC curve of the score for one outcome, with its positives and negatives."""

    positives: int
    negatives: int
    value: Fraction | None  # None without a positive or without a negative


def auc(pairs: Sequence[Scored]) -> Auc:
    """Return the Mann–Whitney AUC: the share of (positive, negative) pairs where the positive scored higher, a tie
    counting half; `(R₊ − P(P+1)/2) / (P · N)` with R₊ the positives' mid-rank sum."""
    positives = sum(1 for _, positive in pairs if positive)
    negatives = len(pairs) - positives
    if positives == 0 or negatives == 0:
        return Auc(positives, negatives, None)
    ranks = doubled_mid_ranks([score for score, _ in pairs])
    doubled_sum = sum(rank for rank, (_, positive) in zip(ranks, pairs, strict=True) if positive)
    return Auc(positives, negatives, Fraction(doubled_sum - positives * (positives + 1), 2 * positives * negatives))


@dataclass(frozen=True)
class Decile:
    """One decile of the scores (1: the highest): its score range, rate, lift and the positives captured so far."""

    decile: int
    lowest: Score
    highest: Score
    ratio: Ratio  # positives / cycles of the decile
    lift: Fraction | None  # the decile's rate / the overall rate; None when the overall rate is 0
    captured: Fraction | None  # the share of all positives in deciles 1 … this one; None without positives


def decile_of(doubled_rank_from_top: int, n: int) -> int:
    """Return `floor(10 · (r − 1/2) / n) + 1` for a mid-rank r counted from the highest score (1 … 10), given 2r:
    the decile holding the middle of the positions the cycle's score takes."""
    return DECILES * (doubled_rank_from_top - 1) // (2 * n) + 1


def lift_by_decile(pairs: Sequence[Scored]) -> list[Decile]:
    """Return the non-empty deciles, highest scores first: a cycle's decile is `floor(10 · (r − 1/2) / n) + 1`, r its
    mid-rank from the top (tied scores always share a decile, so a decile may hold more or fewer than n/10, or
    none)."""
    n = len(pairs)
    if n == 0:
        return []
    ranks = doubled_mid_ranks([-score for score, _ in pairs])
    members: dict[int, list[Scored]] = {}
    for rank, pair in zip(ranks, pairs, strict=True):
        members.setdefault(decile_of(rank, n), []).append(pair)
    total = sum(1 for _, positive in pairs if positive)
    deciles, running = [], 0
    for number in sorted(members):
        group = members[number]
        hits = sum(1 for _, positive in group if positive)
        running += hits
        lift = Fraction(hits * n, len(group) * total) if total else None
        captured = Fraction(running, total) if total else None
        scores = [score for score, _ in group]
        deciles.append(Decile(number, min(scores), max(scores), Ratio(hits, len(group)), lift, captured))
    return deciles
