"""The sandbox platform's state in one SQLite file: a restart loses nothing.

One connection guarded by a lock: the API's handlers run in a thread pool, and SQLite serialises writers
anyway. Every write that changes something bumps the row's `revision`, so tests can tell a page that was
written once from one written twice (a duplicate publish), and `stats` counts what clients sent.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS tenants (
    tenant_id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    branding TEXT NOT NULL DEFAULT '{}',
    services TEXT NOT NULL DEFAULT '[]',
    security_headers TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT 'preview',
    revision INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    live_since TEXT
);
CREATE TABLE IF NOT EXISTS domains (
    domain TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pages (
    tenant_id TEXT NOT NULL,
    path TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    body_html TEXT NOT NULL,
    content_type TEXT NOT NULL,
    published TEXT,
    content_hash TEXT NOT NULL,
    revision INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, path)
);
CREATE TABLE IF NOT EXISTS assets (
    tenant_id TEXT NOT NULL,
    path TEXT NOT NULL,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    revision INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, path)
);
CREATE TABLE IF NOT EXISTS redirects (
    tenant_id TEXT NOT NULL,
    from_path TEXT NOT NULL,
    to_path TEXT,
    status INTEGER NOT NULL,
    suggested_path TEXT,
    revision INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, from_path)
);
CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);
"""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def digest(lines: Iterable[str]) -> str:
    """sha256 over the lines joined by newlines: how the contract summarises a collection."""
    hasher = hashlib.sha256()
    for index, line in enumerate(lines):
        hasher.update((b"\n" if index else b"") + line.encode("utf-8"))
    return hasher.hexdigest()


@dataclass
class Stats:
    """What clients sent, counted since the server started (sandbox only, for tests and benchmarks): every
    sandbox's (the platform's, the CMS's, the edge's)."""

    requests: Counter[str] = field(default_factory=Counter)
    items_received: Counter[str] = field(default_factory=Counter)
    idempotent_replays: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0
    """Requests refused by a rate limit of the sandbox's own (the edge's), not by the fault mode."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "total_requests": sum(self.requests.values()),
            "items_received": dict(self.items_received),
            "idempotent_replays": self.idempotent_replays,
            "faults": dict(self.faults),
            "rate_limited": self.rate_limited,
        }


class Store:
    """Tenants, their domains, pages, assets and redirects, and the idempotency keys seen."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            columns = {row["name"] for row in self._db.execute("PRAGMA table_info(redirects)")}
            if "suggested_path" not in columns:  # a sandbox database from before contract 1.1.0
                self._db.execute("ALTER TABLE redirects ADD COLUMN suggested_path TEXT")
        self.stats = Stats()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def query(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # --- tenants -------------------------------------------------------------------------------

    def tenant(self, tenant_id: str) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM tenants WHERE tenant_id = ?", tenant_id)
        if not rows:
            return None
        row = dict(rows[0])
        for name in ("branding", "services", "security_headers"):
            row[name] = json.loads(row[name])
        row["domains"] = [
            r["domain"]
            for r in self.query("SELECT domain FROM domains WHERE tenant_id = ? ORDER BY position", tenant_id)
        ]
        return row

    def tenant_ids(self) -> list[str]:
        return [r["tenant_id"] for r in self.query("SELECT tenant_id FROM tenants ORDER BY tenant_id")]

    def put_tenant(self, tenant_id: str, display_name: str) -> bool:
        """Create or rename; True when created."""
        with self.transaction() as db:
            row = db.execute("SELECT display_name FROM tenants WHERE tenant_id = ?", (tenant_id,)).fetchone()
            if row is None:
                stamp = now()
                db.execute(
                    "INSERT INTO tenants (tenant_id, display_name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                    (tenant_id, display_name, stamp, stamp),
                )
                return True
            if row["display_name"] != display_name:
                db.execute(
                    "UPDATE tenants SET display_name = ?, revision = revision + 1, updated_at = ? WHERE tenant_id = ?",
                    (display_name, now(), tenant_id),
                )
            return False

    def set_tenant_field(self, tenant_id: str, name: str, value: Any) -> None:
        assert name in ("branding", "services", "security_headers", "state")
        encoded = value if name == "state" else json.dumps(value, sort_keys=True)
        with self.transaction() as db:
            current = db.execute(f"SELECT {name} FROM tenants WHERE tenant_id = ?", (tenant_id,)).fetchone()
            if current is None or current[0] == encoded:
                return
            extra = ", live_since = ?" if name == "state" else ""
            args: tuple[Any, ...] = (encoded, now())
            if name == "state":
                args += (now() if value == "live" else None,)
            db.execute(
                f"UPDATE tenants SET {name} = ?, revision = revision + 1, updated_at = ?{extra} WHERE tenant_id = ?",
                (*args, tenant_id),
            )

    def domain_owner(self, domain: str) -> str | None:
        rows = self.query("SELECT tenant_id FROM domains WHERE domain = ?", domain.lower())
        return rows[0]["tenant_id"] if rows else None

    def set_domains(self, tenant_id: str, domains: list[str]) -> str | None:
        """Replace the tenant's domains; returns a domain another tenant holds (and changes nothing)."""
        with self.transaction() as db:
            for domain in domains:
                row = db.execute("SELECT tenant_id FROM domains WHERE domain = ?", (domain,)).fetchone()
                if row is not None and row["tenant_id"] != tenant_id:
                    return domain
            current = [
                r["domain"]
                for r in db.execute("SELECT domain FROM domains WHERE tenant_id = ? ORDER BY position", (tenant_id,))
            ]
            if current == domains:
                return None
            db.execute("DELETE FROM domains WHERE tenant_id = ?", (tenant_id,))
            db.executemany(
                "INSERT INTO domains (domain, tenant_id, position) VALUES (?, ?, ?)",
                [(domain, tenant_id, position) for position, domain in enumerate(domains)],
            )
            db.execute(
                "UPDATE tenants SET revision = revision + 1, updated_at = ? WHERE tenant_id = ?", (now(), tenant_id)
            )
        return None

    # --- idempotency ---------------------------------------------------------------------------

    def replay(self, scope: str, key: str) -> tuple[str, int, str] | None:
        rows = self.query("SELECT request_hash, status, body FROM idempotency WHERE scope = ? AND key = ?", scope, key)
        return (rows[0]["request_hash"], rows[0]["status"], rows[0]["body"]) if rows else None

    def remember(self, db: sqlite3.Connection, scope: str, key: str, request_hash: str, status: int, body: str) -> None:
        db.execute(
            "INSERT OR REPLACE INTO idempotency (scope, key, request_hash, status, body, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (scope, key, request_hash, status, body, now()),
        )

    # --- collections ---------------------------------------------------------------------------

    def page(self, tenant_id: str, path: str) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM pages WHERE tenant_id = ? AND path = ?", tenant_id, path)
        return dict(rows[0]) if rows else None

    def asset(self, tenant_id: str, path: str) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM assets WHERE tenant_id = ? AND path = ?", tenant_id, path)
        return dict(rows[0]) if rows else None

    def redirect(self, tenant_id: str, from_path: str) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM redirects WHERE tenant_id = ? AND from_path = ?", tenant_id, from_path)
        return dict(rows[0]) if rows else None

    def listing(self, table: str, tenant_id: str, after: str, limit: int) -> list[dict[str, Any]]:
        """A page of a collection without bodies, in key order after `after` (keyset pagination)."""
        key, columns = _COLLECTIONS[table]
        rows = self.query(
            f"SELECT {columns} FROM {table} WHERE tenant_id = ? AND {key} > ? ORDER BY {key} LIMIT ?",
            tenant_id,
            after,
            limit,
        )
        return [dict(row) for row in rows]

    def all_paths(self, table: str, tenant_id: str) -> list[str]:
        key, _ = _COLLECTIONS[table]
        return [r[0] for r in self.query(f"SELECT {key} FROM {table} WHERE tenant_id = ? ORDER BY {key}", tenant_id)]

    def summary(self, tenant_id: str) -> dict[str, Any]:
        pages = self.query("SELECT path, content_hash FROM pages WHERE tenant_id = ? ORDER BY path", tenant_id)
        assets = self.query("SELECT path, sha256 FROM assets WHERE tenant_id = ? ORDER BY path", tenant_id)
        redirects = self.query(
            "SELECT from_path, to_path, status, suggested_path FROM redirects WHERE tenant_id = ? ORDER BY from_path",
            tenant_id,
        )
        return {
            "pages": {"count": len(pages), "digest": digest(f"{r[0]}\t{r[1]}" for r in pages)},
            "assets": {"count": len(assets), "digest": digest(f"{r[0]}\t{r[1]}" for r in assets)},
            "redirects": {
                "count": len(redirects),
                "digest": digest(f"{r[0]}\t{r[1] or ''}\t{r[2]}" + (f"\t{r[3]}" if r[3] else "") for r in redirects),
            },
        }

    def max_revisions(self, tenant_id: str) -> dict[str, int]:
        """The highest revision in each collection: 1 means nothing was written twice."""
        out = {}
        for table in ("pages", "assets", "redirects"):
            rows = self.query(f"SELECT MAX(revision) FROM {table} WHERE tenant_id = ?", tenant_id)
            out[table] = rows[0][0] or 0
        return out


_COLLECTIONS = {
    "pages": ("path", "path, title, content_hash, revision, updated_at"),
    "assets": ("path", "path, content_type, sha256, revision, updated_at"),
    "redirects": ("from_path", "from_path, to_path, status, suggested_path, revision, updated_at"),
}
