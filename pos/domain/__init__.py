"""Pure rules of the point of sale: money, tax, catalog values, barcodes, ids, cart totals.

Imports neither Qt nor SQLAlchemy (an import-linter contract holds this); every rule is tested in
tests/domain.
"""
