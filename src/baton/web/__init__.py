"""Baton web stage."""
