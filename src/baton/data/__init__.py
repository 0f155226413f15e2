"""Baton data stage."""
