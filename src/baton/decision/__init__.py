"""Baton decision stage."""
