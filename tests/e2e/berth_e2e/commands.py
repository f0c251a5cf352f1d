"""Running external clients (skopeo, podman, buildah, umoci) with readable failures."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Mapping, Sequence

import pytest

# Output longer than this is cut in failure messages, keeping the end (where errors are).
_TAIL_CHARS = 4000


def _tail(text: str | bytes | None) -> str:
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    if len(text) <= _TAIL_CHARS:
        return text
    return "[... cut ...]\n" + text[-_TAIL_CHARS:]


def require_tool(name: str) -> str:
    """Returns the path of a client binary, failing the test with an install hint if it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; run scripts/install-test-deps.sh", pytrace=False)
    return path


def run(
    args: Sequence[str | os.PathLike],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike | None = None,
    timeout: float = 600,
    check: bool = True,
) -> subprocess.CompletedProcess:
    """Runs a command and returns its result (text output).

    With check=True a non-zero exit fails the test with the command line, the exit code and the
    end of both output streams, so a failure explains itself without rerunning by hand.
    """
    argv = [str(a) for a in args]
    require_tool(argv[0])
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    try:
        proc = subprocess.run(
            argv,
            env=full_env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(
            f"command timed out after {timeout}s: {shlex.join(argv)}\n"
            f"--- stdout ---\n{_tail(exc.stdout)}\n--- stderr ---\n{_tail(exc.stderr)}",
            pytrace=False,
        )
    if check and proc.returncode != 0:
        pytest.fail(
            f"command failed with exit code {proc.returncode}: {shlex.join(argv)}\n"
            f"--- stdout ---\n{_tail(proc.stdout)}\n--- stderr ---\n{_tail(proc.stderr)}",
            pytrace=False,
        )
    return proc


def write_file(path: Path, data: bytes | str) -> Path:
    """Writes a file, creating its parent folders, and returns its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return path
