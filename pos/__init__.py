"""Countertop: a point-of-sale and back-office desktop app with an offline-first local replica."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("countertop")
except PackageNotFoundError:  # running from a source tree or a bundle without package metadata
    __version__ = "0.1.0"
