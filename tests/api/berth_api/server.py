"""A berth process of a test's own, for tests that restart or kill the server.

Configuration (set by scripts/test.sh for each backend combination):

BERTH_BIN                 the berth binary (default: <repo>/target/debug/berth)
BERTH_TEST_DATABASE_URL   template of the metadata database URL (default `{dir}/berth.db`)
BERTH_TEST_STORAGE_URL    template of the blob storage URL (default `{dir}/blobs`)

In both templates `{dir}` is the server's own fresh data directory and `{name}` a fresh unique
name. For a `postgres://` database the fixture creates the database `{name}` (connecting to the
same server's `postgres` database with psql) and drops it afterwards; for an `s3://` storage URL
it creates the bucket `{name}` (boto3, endpoint and region from the URL's query, credentials from
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) and empties and deletes it afterwards.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

REPO_ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def berth_binary() -> Path:
    path = Path(os.environ.get("BERTH_BIN") or REPO_ROOT / "target" / "debug" / "berth")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"berth binary {path} not found: build it or set BERTH_BIN")
    return path


def _psql(url: str, sql: str) -> None:
    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )


class Backend:
    """The database and storage one own server uses, created fresh and removed afterwards."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.cleanups: list = []
        db_template = os.environ.get("BERTH_TEST_DATABASE_URL") or "{dir}/berth.db"
        storage_template = os.environ.get("BERTH_TEST_STORAGE_URL") or "{dir}/blobs"
        self.database_url = self._database(db_template)
        self.storage_url = self._storage(storage_template)

    def _database(self, template: str) -> str:
        name = "berth_api_" + secrets.token_hex(6)
        url = template.format(dir=self.data_dir, name=name)
        if url.startswith(("postgres://", "postgresql://")):
            admin = template.format(dir=self.data_dir, name="postgres")
            _psql(admin, f'CREATE DATABASE "{name}"')
            self.cleanups.append(lambda: _psql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        return url

    def _storage(self, template: str) -> str:
        name = "berth-api-" + secrets.token_hex(6)
        url = template.format(dir=self.data_dir, name=name)
        if url.startswith("s3://"):
            import boto3  # only needed for S3 runs

            query = parse_qs(urlsplit(url).query)
            client = boto3.client(
                "s3",
                endpoint_url=query["endpoint"][0],
                region_name=query.get("region", ["us-east-1"])[0],
            )
            client.create_bucket(Bucket=name)

            def drop_bucket():
                for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
                    for obj in page.get("Contents", []):
                        client.delete_object(Bucket=name, Key=obj["Key"])
                client.delete_bucket(Bucket=name)

            self.cleanups.append(drop_bucket)
        return url

    def sql(self, statement: str) -> None:
        """Runs one statement on the database directly (tests that need rows no API makes,
        such as audit records from long ago)."""
        url = self.database_url
        if url.startswith(("postgres://", "postgresql://")):
            _psql(url, statement)
            return
        import sqlite3

        path = url.removeprefix("sqlite://").split("?")[0]
        with sqlite3.connect(path, timeout=30) as db:
            db.execute(statement)

    def close(self) -> list[str]:
        """Removes what was created; returns the problems instead of raising them."""
        problems = []
        for cleanup in reversed(self.cleanups):
            try:
                cleanup()
            except Exception as exc:  # noqa: BLE001 - teardown reports, never masks the test
                problems.append(repr(exc))
        self.cleanups.clear()
        return problems


class BerthServer:
    """Starts, stops (SIGTERM), kills (SIGKILL) and restarts one berth on one data directory
    and backend. Each start takes a new free port; `host` is the current host:port."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "berth.log"
        self.backend = Backend(self.data_dir)
        self.proc: subprocess.Popen | None = None
        self.host = ""
        # Settings every start of this server gets (BERTH_* variables).
        self.settings: dict[str, str] = {}
        self.is_sibling = False

    def sibling(self) -> "BerthServer":
        """Another node on the same data directory, database and storage (its own log and
        port); closing it leaves the shared backend alone."""
        other = BerthServer.__new__(BerthServer)
        other.workdir = self.workdir
        other.data_dir = self.data_dir
        other.log_path = self.workdir / f"berth-sibling-{free_port()}.log"
        other.backend = self.backend
        other.proc = None
        other.host = ""
        other.settings = dict(self.settings)
        other.is_sibling = True
        return other

    def start(self, timeout: float = 60) -> str:
        assert self.proc is None, "berth is already running"
        port = free_port()
        self.host = f"127.0.0.1:{port}"
        env = dict(os.environ)
        env.update(
            BERTH_ADDR=self.host,
            BERTH_DATA_DIR=str(self.data_dir),
            BERTH_DATABASE_URL=self.backend.database_url,
            BERTH_STORAGE_URL=self.backend.storage_url,
        )
        env.update(self.settings)
        env.pop("BERTH_CONFIG", None)
        with open(self.log_path, "ab") as log:
            log.write(f"\n===== berth start on {self.host} =====\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [str(berth_binary()), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self.proc = None
                raise AssertionError(f"berth exited with {code} while starting:\n{self.log_tail()}")
            try:
                if requests.get(f"http://{self.host}/v2/", timeout=2).status_code in (200, 401):
                    return self.host
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"berth did not answer GET /v2/ within {timeout}s:\n{self.log_tail()}")

    def env(self) -> dict:
        """The environment berth runs with against this server's data, database and storage."""
        env = dict(os.environ)
        env.update(
            BERTH_ADDR=self.host or "127.0.0.1:0",
            BERTH_DATA_DIR=str(self.data_dir),
            BERTH_DATABASE_URL=self.backend.database_url,
            BERTH_STORAGE_URL=self.backend.storage_url,
        )
        env.pop("BERTH_CONFIG", None)
        return env

    def command(self, *args: str, timeout: float = 300, **env) -> subprocess.CompletedProcess:
        """Runs `berth <args>` against this server's backend (it may be running)."""
        full = self.env()
        full.update(env)
        return subprocess.run([str(berth_binary()), *args], env=full, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def stored_keys(self, prefix: str) -> list[str]:
        """The keys of the files (or S3 objects) under `prefix` in storage, read from storage
        itself."""
        url = self.backend.storage_url
        if url.startswith("s3://"):
            import boto3

            parts = urlsplit(url)
            query = parse_qs(parts.query)
            client = boto3.client("s3", endpoint_url=query["endpoint"][0],
                                  region_name=query.get("region", ["us-east-1"])[0])
            keys: list[str] = []
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=parts.netloc, Prefix=prefix):
                keys += [o["Key"] for o in page.get("Contents", [])]
            return keys
        root = Path(url)
        return [str(p.relative_to(root)) for p in (root / prefix).rglob("*") if p.is_file()]

    def stored_blobs(self) -> set[str]:
        """Digests of the blobs in storage (`blobs/<alg>/<xx>/<hex>`), read from storage itself."""
        keys = [k for k in self.stored_keys("blobs/") if k.count("/") == 3]
        found = set()
        for key in keys:
            _, alg, _, hexpart = key.split("/")
            found.add(f"{alg}:{hexpart}")
        return found

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM and wait: a graceful stop. Returns the exit code."""
        assert self.proc is not None, "berth is not running"
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            raise AssertionError(f"berth did not stop within {timeout}s of SIGTERM:\n{self.log_tail()}") from None
        self.proc = None
        return code

    def kill(self) -> None:
        """SIGKILL: the process dies wherever it is."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def log_tail(self, chars: int = 6000) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return text if len(text) <= chars else "[...]\n" + text[-chars:]

    def close(self) -> list[str]:
        self.kill()
        return [] if self.is_sibling else self.backend.close()
