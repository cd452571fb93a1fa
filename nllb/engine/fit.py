"""A straight line through a stream of measurements, the recent ones weighing most.

The batcher learns two things this way: what a batch costs the device
(nllb.engine.cost) and how long the clients a batch answered take to come
back (nllb.engine.batcher). Both drift with the load and the machine, so
each new point weighs 1 and every older one `memory` times less than the one
after it.
"""

from __future__ import annotations


class DecayedLine:
    def __init__(self, memory: float):
        self.memory = memory
        self._n = self._x = self._y = self._xx = self._xy = 0.0

    @property
    def known(self) -> bool:
        return self._n > 0

    def add(self, x: float, y: float) -> None:
        m = self.memory
        self._n = m * self._n + 1
        self._x = m * self._x + x
        self._y = m * self._y + y
        self._xx = m * self._xx + x * x
        self._xy = m * self._xy + x * y

    def means(self) -> tuple[float, float]:
        """The weighted means of x and y; call only once `known`."""
        return self._x / self._n, self._y / self._n

    def slope(self) -> float | None:
        """Least-squares slope of y on x; None while every x seen was (nearly) the same."""
        mean_x, mean_y = self.means()
        spread = self._xx / self._n - mean_x * mean_x
        if spread <= 1e-9:
            return None
        return (self._xy / self._n - mean_x * mean_y) / spread

    def never_falling(self) -> tuple[float, float] | None:
        """Intercept and slope, neither below 0 (a cost or a delay does not shrink as its cause grows);
        None while the slope is unknown. Call only once `known`."""
        slope = self.slope()
        if slope is None:
            return None
        mean_x, mean_y = self.means()
        growth = max(0.0, slope)
        return max(0.0, mean_y - growth * mean_x), growth
