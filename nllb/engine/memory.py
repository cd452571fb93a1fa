"""How large a batch the device's memory holds, learned from the batches that ran out of it.

CTranslate2 allocates a batch's working memory as it decodes, about in
proportion to its hypotheses times the positions each attends to: its longest
source plus the steps it decodes. A batch that runs out is not lost — poison
isolation retries it in halves — but where the batch limits ask more than the
card holds (the 3.3B model on a 16 GB card), every large batch would run out
first and be retried in three or four calls: on an H200 with all but 16 GiB
taken, 3.3B batches of ~430 segments did so one after another, at 2.4 times
the device time a segment of the whole card (docs/PERFORMANCE.md). So once a
batch has run out, later ones stay below a share of its size.
"""

from __future__ import annotations

import math

# The next batch stays this far below the one that ran out: far enough that it
# likely fits, near enough that a card which nearly held it keeps most of its
# batch. Each batch that still runs out lowers the limit again.
BACKOFF = 0.85


def positions(rows: int, longest: int, steps: int) -> int:
    """A batch's size as its memory grows: hypotheses times (longest source + decoding steps)."""
    return rows * (longest + steps)


class DeviceMemory:
    def __init__(self) -> None:
        self.limit = math.inf  # positions a batch may reach; unlimited until one runs out

    def holds(self, rows: int, longest: int, steps: int) -> bool:
        return positions(rows, longest, steps) <= self.limit

    def ran_out(self, rows: int, longest: int, steps: int) -> int | None:
        """A batch of this shape ran out of memory: the lowered limit, or None where the limit was already lower
        (a batch started before it was lowered)."""
        limit = int(BACKOFF * positions(rows, longest, steps))
        if limit >= self.limit:
            return None
        self.limit = limit
        return limit
