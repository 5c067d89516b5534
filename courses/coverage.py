"""Watched parts of a video as a set of time ranges, in tenths of a second.

Stored as sorted, merged [start, end) integer ranges of deciseconds, e.g. [[0, 305]] for the
first 30.5 seconds. Coverage is *unique* time seen, not playback time: watching the first
minute twice covers sixty seconds, not one hundred and twenty.
"""

import math

SCALE = 10  # deciseconds


def normalise(ranges) -> list[list[int]]:
    """Sorted, merged, non-empty ranges (touching ranges merge)."""
    cleaned = sorted((int(a), int(b)) for a, b in ranges if int(b) > int(a))
    merged: list[list[int]] = []
    for start, end in cleaned:
        if merged and start <= merged[-1][1] + 1:  # 0.1 s of rounding slack
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def from_played(played, *, duration: float) -> list[list[int]]:
    """Ranges from the player's [start, end) seconds (floats), clipped to the video."""
    limit = math.ceil(duration * SCALE) if duration > 0 else 0
    result = []
    for item in played:
        try:
            start, end = float(item[0]), float(item[1])
        except (TypeError, ValueError, IndexError):
            continue
        if not (math.isfinite(start) and math.isfinite(end)) or end <= start:
            continue
        first = max(0, round(start * SCALE))
        last = min(limit, round(end * SCALE))
        if last > first:
            result.append([first, last])
    return normalise(result)


def total(ranges) -> int:
    return sum(end - start for start, end in ranges)


def seconds(ranges) -> float:
    return total(ranges) / SCALE


def union(a, b) -> list[list[int]]:
    return normalise(list(a) + list(b))


def difference(a, b) -> list[list[int]]:
    """Parts of ``a`` that are not in ``b``."""
    out = []
    b = normalise(b)
    for start, end in normalise(a):
        cursor = start
        for b_start, b_end in b:
            if b_end <= cursor or b_start >= end:
                continue
            if b_start > cursor:
                out.append([cursor, b_start])
            cursor = max(cursor, b_end)
        if cursor < end:
            out.append([cursor, end])
    return out


def take(ranges, n: int) -> list[list[int]]:
    """The first ``n`` units of ``ranges``."""
    out = []
    for start, end in normalise(ranges):
        if n <= 0:
            break
        length = min(end - start, n)
        out.append([start, start + length])
        n -= length
    return out


def prefix(ranges) -> list[list[int]]:
    """Only the range that starts at the beginning (what counts when skipping is forbidden)."""
    merged = normalise(ranges)
    return [merged[0]] if merged and merged[0][0] <= 1 else []


def furthest_contiguous(ranges) -> float:
    """Seconds watched without a gap from the start."""
    p = prefix(ranges)
    return p[0][1] / SCALE if p else 0.0
