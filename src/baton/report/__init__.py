"""Baton report stage."""
