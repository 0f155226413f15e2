"""Baton calibration stage."""
