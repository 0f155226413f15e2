"""Baton judges stage."""
