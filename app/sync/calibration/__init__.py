"""Calibration's shell: the backtest's reads from the ledger and HubSpot (docs/calibration.md)."""
