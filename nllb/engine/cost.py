"""How long a batch will take on this device, learned from the batches it ran.

A decoding step costs a fixed part (kernel launches, the step's bookkeeping)
plus a part that grows with the hypotheses in the batch and with how far
decoding has come (attention reads every earlier step), and a batch runs as
many steps as its longest length limit allows. So a batch of `rows`
hypotheses (examples × beam) and length limit `steps` takes about
`steps × (fixed + growth × rows × steps)` seconds. The two terms are fitted by
least squares over recent batches, the older ones weighing less, so the
estimate follows the device, the model and how early its translations end —
without a setting for any of them.

Beyond the largest batch seen, the fit is not trusted to extrapolate: a batch
with more hypothesis-steps than any before is expected to cost at least in
proportion to that largest one. A fit from small batches alone can see no
growth at all and would let one huge batch through; this way a batch grows
past what was measured by at most what the time budget allows, and the
estimate learns from each step.

The last batch measured bounds any other from above: a step costs a fixed
part plus one that grows with the work, so a step of less work costs no more
than the last batch's, and a step of more work less than in proportion to it.
That bound lets the estimate recover from an outlier. On a fresh H100 the
first batch (11 rows) took 15.8 s of CUDA start-up; the fit then held every
batch to one row, so no later batch had another shape to correct its slope,
and the engine ran single rows for good. With the bound, a replay of that
start (tests/test_batcher.py) runs 13 rows in the next batch and all 64 that
wait in the one after. The bound trusts one measurement: a batch whose
translations all ended early lets the next grow past the time budget once,
until that batch's own measurement takes its place.
"""

from __future__ import annotations

from nllb.engine.fit import DecayedLine

# Each new batch keeps this share of what the older ones taught.
_MEMORY = 0.98


class BatchCost:
    def __init__(self) -> None:
        self._line = DecayedLine(_MEMORY)  # seconds per step against hypothesis-steps
        self._largest_work = self._largest_seconds = 0.0  # the batch with the most hypothesis-steps seen
        self._last_work = self._last_step_seconds = 0.0  # the last batch: hypothesis-steps, seconds per step

    def record(self, rows: int, steps: int, seconds: float) -> None:
        work, step_seconds = float(rows * steps), seconds / max(1, steps)
        if work >= self._largest_work:
            self._largest_work, self._largest_seconds = work, seconds
        self._line.add(work, step_seconds)
        self._last_work, self._last_step_seconds = work, step_seconds

    def seconds(self, rows: int, steps: int) -> float:
        """The expected device time of a batch; 0 before the first batch."""
        if not self._line.known:
            return 0.0
        # Until batches of different shapes were seen, every batch costs the same per step.
        fixed, growth = self._line.never_falling() or (self._line.means()[1], 0.0)
        work = rows * steps
        estimate = steps * (fixed + growth * work)
        if work > self._largest_work:
            estimate = max(estimate, self._largest_seconds * work / self._largest_work)
        return min(estimate, steps * self._last_step_seconds * max(1.0, work / self._last_work))
