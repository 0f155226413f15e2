"""Baton replay stage."""
