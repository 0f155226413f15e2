"""Baton review stage."""
