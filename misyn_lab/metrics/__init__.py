"""Real-vs-synthetic metrics: pure functions on feature matrices returning :class:`MetricResult`."""

from misyn_lab.metrics.result import MetricResult

__all__ = ["MetricResult"]
