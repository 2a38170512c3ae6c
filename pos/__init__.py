"""Countertop: a point-of-sale and back-office desktop app with an offline-first local replica."""

from sync import __version__

__all__ = ["__version__"]
