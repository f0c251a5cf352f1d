"""The quota invariant, read from the database itself: for each project, the usage its quota
row holds equals the sum of the sizes of the distinct blobs and manifests its repositories
hold (each digest once per project, whatever the number of repositories holding it).

The sum is computed here, in Python, from the plain rows (repository links, blobs, manifests),
not by berth's own query, so a drift of berth's accounting (a charge missed, a removal not
counted again) shows as a difference."""

from __future__ import annotations

import subprocess
from collections import defaultdict


def rows(database_url: str, sql: str) -> list[tuple[str, ...]]:
    """The rows of a query, every value as text."""
    if database_url.startswith(("postgres://", "postgresql://")):
        out = subprocess.run(
            ["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d", database_url, "-c", sql],
            check=True, capture_output=True, text=True, timeout=60,
        ).stdout
        return [tuple(line.split("\t")) for line in out.splitlines() if line]
    import sqlite3

    path = database_url.removeprefix("sqlite://").split("?")[0]
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
        return [tuple("" if v is None else str(v) for v in r) for r in db.execute(sql)]


def quota_drift(database_url: str) -> list[str]:
    """Each project whose recorded usage differs from the usage its rows add up to."""
    held: dict[str, set[tuple[str, int]]] = defaultdict(set)
    linked = rows(database_url, "SELECT r.name, b.digest, b.size FROM repository_blobs rb "
                                "JOIN repositories r ON r.id = rb.repository_id JOIN blobs b ON b.digest = rb.digest")
    manifests = rows(database_url, "SELECT r.name, m.digest, m.size FROM manifests m "
                                   "JOIN repositories r ON r.id = m.repository_id")
    for name, digest, size in linked + manifests:
        held[name.split("/", 1)[0]].add((digest, int(size)))
    problems = []
    for project, used in rows(database_url, "SELECT p.name, q.used FROM quotas q JOIN projects p ON p.id = q.project_id"):
        expected = sum(size for _, size in held.get(project, ()))
        if int(used) != expected:
            problems.append(f"project {project}: quota says {used} B used, its rows add up to {expected} B")
    return problems
