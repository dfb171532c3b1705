"""The error of a file refused as a whole, shared by every reading stage."""

from __future__ import annotations


class ExtractRejected(ValueError):
    """The file as a whole cannot be imported (nothing is written); the message says why, in French."""
