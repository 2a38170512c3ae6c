"""Printing in the desktop app: the print worker, the printer problem bar and the printer settings."""
