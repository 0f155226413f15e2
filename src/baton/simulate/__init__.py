"""Baton simulate stage."""
