"""Data: production logs -> items, and stratified sampling by region."""

from __future__ import annotations

from baton.data._sampling import stratified_sample

__all__ = ["stratified_sample"]
