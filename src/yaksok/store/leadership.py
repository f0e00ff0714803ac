"""Who leads the scheduler: on PostgreSQL, the holder of a session advisory lock.

The leader holds the lock on a connection of its own, so two ``yaksok worker`` processes never
both publish (services re-check each notice anyway; this saves the duplicate work). On SQLite
every loop leads: writers are already serialised by the database.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from yaksok.store import port

log = logging.getLogger(__name__)

# "ysch", paired with the schema's hash: deployments sharing one database never share a leader.
_KEY = {"key": 0x7973_6368}


class LeaderLock(port.LeaderLock):
    """Whether this loop is the one that ticks (``services.upkeep.Leadership``)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._guard = threading.Lock()  # hold() and release() may run in different worker threads
        self.leading = engine.dialect.name != "postgresql"

    def hold(self) -> bool:
        """True while this loop leads; tries to take the lead when it does not (blocking I/O)."""
        if self._engine.dialect.name != "postgresql":
            return True
        with self._guard:
            if self._connection is not None and not self._still_connected(self._connection):
                self._connection = None
            if self._connection is None:
                self._connection = self._try_lock()
            self.leading = self._connection is not None
            return self.leading

    def release(self) -> None:
        with self._guard:
            connection, self._connection = self._connection, None
            self.leading = self._engine.dialect.name != "postgresql"
            if connection is None:
                return
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:key, hashtext(current_schema()))"), _KEY)
            except DBAPIError:
                connection.invalidate()  # closing the session releases the lock too
            finally:
                connection.close()

    def _try_lock(self) -> Connection | None:
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        query = text("SELECT pg_try_advisory_lock(:key, hashtext(current_schema()))")
        try:
            won = bool(connection.execute(query, _KEY).scalar())
        except BaseException:
            connection.close()
            raise
        if not won:
            connection.close()
            return None
        log.info("this scheduler leads (holds the PostgreSQL scheduler lock)")
        return connection

    @staticmethod
    def _still_connected(connection: Connection) -> bool:
        # The lock lives as long as the session: if the session died, so did the lead.
        try:
            connection.execute(text("SELECT 1"))
        except DBAPIError:
            log.warning("the scheduler lock's connection was lost; trying to lead again")
            connection.invalidate()
            connection.close()
            return False
        return True
