"""Baton storage stage."""
