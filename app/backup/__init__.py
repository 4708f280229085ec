"""Backups: ``flask backup create | verify | restore`` (database and documents in one archive).

- ``archive``: the tar file (mode 0600), its members' SHA-256 in ``manifest.json``, unpacking
  with the checks first.
- ``database``: ``pg_dump``/``pg_restore`` for PostgreSQL, the online backup API for SQLite, and
  the figures (row counts, revision) read from a database.
- ``services``: create, verify and restore as the operations team runs them; ``cli`` the commands.
"""
