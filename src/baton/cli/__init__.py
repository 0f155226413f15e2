"""Baton cli stage."""
