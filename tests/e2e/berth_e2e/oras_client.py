"""oras-py, with the manifest field artifactType that its push() cannot set by itself."""

from __future__ import annotations

import oras.client


class ArtifactClient(oras.client.OrasClient):
    """An OrasClient whose push() writes artifactType into the manifest it uploads.

    oras-py 0.2 builds the manifest inside push() and hands it to upload_manifest(), so that is
    where the field goes in; everything else (blob uploads, the PUT itself) stays oras-py's own.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.artifact_type: str | None = None

    def push_artifact(self, target: str, artifact_type: str, **kwargs):
        self.artifact_type = artifact_type
        try:
            return self.push(target, disable_path_validation=True, quiet=True, **kwargs)
        finally:
            self.artifact_type = None

    def upload_manifest(self, manifest: dict, container):
        if self.artifact_type:
            manifest = {**manifest, "artifactType": self.artifact_type}
        return super().upload_manifest(manifest, container)


def new_client(registry: str, credentials: tuple[str, str] | None) -> ArtifactClient:
    client = ArtifactClient(hostname=registry, insecure=True)
    if credentials:
        # Not client.login(): that would write ~/.docker/config.json.
        client.auth.set_basic_auth(*credentials)
    return client
