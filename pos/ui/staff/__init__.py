"""Signing in at the till: the lock screen, the idle lock and a manager's approval on the spot."""
