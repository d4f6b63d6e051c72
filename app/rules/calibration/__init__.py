"""Calibration (docs/calibration.md): what the score and grade at MQL really predicted — conversion by band and
grade, lift, AUC, the calibration table, score drift, rejection reasons — and whether the outcomes suffice to
conclude. Lead-cycle facts in, figures, JSON object and text out. Pure."""

from __future__ import annotations

from app.rules.calibration.outcomes import DEFAULT_MATURE_DAYS, Horizon, Window
from app.rules.calibration.report import CalibrationReport, CalibrationSettings, calibrate

__all__ = ["DEFAULT_MATURE_DAYS", "CalibrationReport", "CalibrationSettings", "Horizon", "Window", "calibrate"]
