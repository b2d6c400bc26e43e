"""Shared fixtures for the workbook tests (Agg backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
