"""Baton providers stage."""
