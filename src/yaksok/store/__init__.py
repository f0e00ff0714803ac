"""Storage: SQLAlchemy Core tables and repositories for SQLite and PostgreSQL."""
