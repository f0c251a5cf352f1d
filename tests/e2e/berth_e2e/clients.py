"""skopeo, podman and buildah, each confined to a temporary folder.

Storage is vfs under the test's temp folder (--root; --runroot in a short folder of its own),
and the auth file, registries.conf and signature policy are the test's own, so nothing touches the
machine's container store or ~/.docker, and the registry under test is marked insecure (plain HTTP).
"""

from __future__ import annotations

import json
from pathlib import Path

from .commands import run, write_file

INSECURE_POLICY = {"default": [{"type": "insecureAcceptAnything"}]}


class ClientEnv:
    """Configuration shared by the three clients for one test."""

    def __init__(self, workdir: Path, rundir: Path, registry: str, creds: str | None):
        """workdir holds storage and configuration; rundir (short: podman refuses a runroot
        longer than 50 characters) holds the engines' run-time state."""
        self.workdir = Path(workdir)
        self.rundir = Path(rundir)
        self.registry = registry
        self.creds = creds
        self.policy = write_file(self.workdir / "policy.json", json.dumps(INSECURE_POLICY))
        registries_conf = write_file(
            self.workdir / "registries.conf",
            'unqualified-search-registries = []\n\n'
            f'[[registry]]\nlocation = "{registry}"\ninsecure = true\n',
        )
        auth_file = write_file(self.workdir / "auth.json", '{"auths": {}}')
        self.env = {
            "CONTAINERS_REGISTRIES_CONF": str(registries_conf),
            "REGISTRY_AUTH_FILE": str(auth_file),
            "TMPDIR": str(self.workdir / "tmp"),
        }
        (self.workdir / "tmp").mkdir(exist_ok=True)

    def docker_ref(self, repo: str, reference: str) -> str:
        """docker://host/repo:tag, or host/repo@digest when reference is a digest."""
        sep = "@" if reference.startswith("sha256:") else ":"
        return f"docker://{self.registry}/{repo}{sep}{reference}"

    def image_name(self, repo: str, tag: str) -> str:
        return f"{self.registry}/{repo}:{tag}"


class Skopeo:
    def __init__(self, cfg: ClientEnv):
        self.cfg = cfg

    def __call__(self, *args, **kwargs):
        return run(["skopeo", "--policy", self.cfg.policy, *args], env=self.cfg.env, **kwargs)

    def _creds(self, *flags: str) -> list[str]:
        if not self.cfg.creds:
            return []
        return [f"{flag}={self.cfg.creds}" for flag in flags]

    def copy(self, src: str, dest: str, *extra: str):
        return self(
            "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
            *self._creds("--src-creds", "--dest-creds"), *extra, src, dest,
        )

    def inspect(self, ref: str, *extra: str) -> str:
        return self("inspect", "--tls-verify=false", *self._creds("--creds"), *extra, ref).stdout

    def list_tags(self, ref: str) -> list[str]:
        out = self("list-tags", "--tls-verify=false", *self._creds("--creds"), ref).stdout
        return json.loads(out)["Tags"]

    def delete(self, ref: str):
        return self("delete", "--tls-verify=false", *self._creds("--creds"), ref)

    def sync(self, source: str, dest_dir: Path, *extra: str):
        return self(
            "sync", "--src", "docker", "--dest", "dir", "--src-tls-verify=false",
            *self._creds("--src-creds"), *extra, source, dest_dir,
        )


class _Engine:
    """Common parts of podman and buildah: private vfs storage and credentials."""

    binary = ""

    def __init__(self, cfg: ClientEnv):
        self.cfg = cfg
        store = cfg.workdir / f"{self.binary}-storage"
        runroot = cfg.rundir / self.binary
        self.global_args = [
            "--root", str(store), "--runroot", str(runroot),
            "--storage-driver", "vfs", *self.extra_global(runroot),
        ]

    def extra_global(self, runroot: Path) -> list[str]:
        return []

    def __call__(self, *args, **kwargs):
        return run([self.binary, *self.global_args, *args], env=self.cfg.env, **kwargs)

    def creds(self) -> list[str]:
        return [f"--creds={self.cfg.creds}"] if self.cfg.creds else []

    def push(self, image: str, dest: str, digestfile: Path, *extra: str) -> str:
        """Pushes and returns the manifest digest the client reports."""
        self(
            "push", "--tls-verify=false", *self.creds(), "--digestfile", digestfile,
            *extra, image, dest,
        )
        return digestfile.read_text().strip()


class Podman(_Engine):
    binary = "podman"

    def extra_global(self, runroot: Path) -> list[str]:
        return [
            "--cgroup-manager=cgroupfs", "--events-backend=file",
            "--tmpdir", str(runroot / "libpod"),
        ]

    def pull(self, ref: str):
        return self("pull", "--tls-verify=false", *self.creds(), ref)

    def image_digest(self, ref: str) -> str:
        return self("image", "inspect", "--format", "{{.Digest}}", ref).stdout.strip()


class Buildah(_Engine):
    binary = "buildah"

    def manifest_push_all(self, name: str, dest: str, digestfile: Path) -> str:
        self(
            "manifest", "push", "--all", "--tls-verify=false", *self.creds(),
            "--digestfile", digestfile, name, dest,
        )
        return digestfile.read_text().strip()
