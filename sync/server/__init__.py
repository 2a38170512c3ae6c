"""The reference shop: FastAPI + SQLAlchemy, SQLite by default, PostgreSQL in production.

Imports only `sync.protocol` from the rest of the project (import-linter holds it).
"""
