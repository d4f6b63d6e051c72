"""``SortedIds``: a set of record ids kept in increasing numeric order, to page by id without sorting a type.

The ids live in sorted buckets of at most ``2 * BUCKET`` ids, with the largest id of each bucket in ``_maxes``:
adding or removing an id costs O(log n + BUCKET) and reading ``count`` ids from some id on O(log n + count),
whatever the number of ids. New records get increasing ids, so adding one is nearly always an append.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator

BUCKET = 1000


class SortedIds:
    """Distinct integers in increasing order."""

    def __init__(self, ids: Iterable[int] = ()) -> None:
        ordered = sorted(set(ids))
        self._buckets = [ordered[at : at + BUCKET] for at in range(0, len(ordered), BUCKET)]
        self._maxes = [bucket[-1] for bucket in self._buckets]
        self._size = len(ordered)

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[int]:
        for bucket in self._buckets:
            yield from bucket

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int):
            return False
        at = bisect_left(self._maxes, value)
        if at == len(self._maxes):
            return False
        bucket = self._buckets[at]
        return bucket[bisect_left(bucket, value)] == value

    def add(self, value: int) -> None:
        """Add an id (nothing happens when it is already there)."""
        at = bisect_left(self._maxes, value)
        if at == len(self._maxes):  # past the largest id: append to the last bucket
            if not self._buckets:
                self._buckets.append([])
                self._maxes.append(value)
            at = len(self._buckets) - 1
            self._buckets[at].append(value)
            self._maxes[at] = value
        else:
            bucket = self._buckets[at]
            position = bisect_left(bucket, value)
            if bucket[position] == value:
                return
            bucket.insert(position, value)
        self._size += 1
        if len(self._buckets[at]) >= 2 * BUCKET:
            self._split(at)

    def discard(self, value: int) -> None:
        """Remove an id (nothing happens when it is not there)."""
        at = bisect_left(self._maxes, value)
        if at == len(self._maxes):
            return
        bucket = self._buckets[at]
        position = bisect_left(bucket, value)
        if bucket[position] != value:
            return
        del bucket[position]
        self._size -= 1
        if not bucket:
            del self._buckets[at], self._maxes[at]
        else:
            self._maxes[at] = bucket[-1]

    def starting_at(self, first: int, count: int) -> list[int]:
        """Return up to ``count`` ids from ``first`` on (ids below ``first`` are skipped), in order."""
        found: list[int] = []
        at = bisect_left(self._maxes, first)
        position = bisect_left(self._buckets[at], first) if at < len(self._buckets) else 0
        while at < len(self._buckets) and len(found) < count:
            bucket = self._buckets[at]
            found.extend(bucket[position : position + count - len(found)])
            at, position = at + 1, 0
        return found

    def _split(self, at: int) -> None:
        bucket = self._buckets[at]
        half = len(bucket) // 2
        self._buckets[at : at + 1] = [bucket[:half], bucket[half:]]
        self._maxes[at : at + 1] = [bucket[half - 1], bucket[-1]]
