"""The catalog browser: lazy product table, search as you type, product detail."""
