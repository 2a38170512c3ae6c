"""Countertop's sync: the wire protocol, the client engine, connectors and the reference shop.

The distribution's version lives here, not in pos, because the shop (`countertop-shop --version`)
may not import pos; the till's `countertop --version` reads the same.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("countertop")
except PackageNotFoundError:  # running from a source tree or a bundle without package metadata
    __version__ = "0.1.0"
