"""The Harbor Python client harborapi (HarborAsyncClient, 0.26.x) against the registry's
/api/v2.0: projects, repositories, artifacts, tags, labels, copies and deletions around an image
pushed with skopeo, plus the system, configuration, search and current-user calls.

Every call goes through harborapi with validation on (`validate=True`, `raw=False`), so each
answer must parse into harborapi's pydantic models; a ValidationError or a StatusError is a
failure of the registry, never something to work around here. harborapi keeps fields it does not
know (its models allow extra fields); those are reported as warnings, not failures.

The tests of this module share one project, image and client and run in file order: the last test
deletes what the others made. Needs an administrator: BERTH_E2E_USER/BERTH_E2E_PASSWORD, or
BERTH_ADMIN_PASSWORD for the user admin.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import secrets
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pytest
from harborapi import HarborAsyncClient
from harborapi.exceptions import HarborAPIException, NotFound
from harborapi.models import (
    Artifact,
    ConfigurationsResponse,
    GeneralInfo,
    Label,
    OverallHealthStatus,
    Permission,
    Project,
    ProjectReq,
    Repository,
    Search,
    Statistic,
    Tag,
    UserResp,
)
from harborapi.models.base import BaseModel, RootModel
from harborapi.models.models import ProjectMetadata
from pydantic import ValidationError

from berth_e2e.clients import ClientEnv, Skopeo
from berth_e2e.oci_layout import OciLayout, sample_files
from berth_e2e.registry_api import OCI_MANIFEST

OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
REPO = "app"
NESTED_REPO = "team/app"

# harborapi's own RetrySettings reads model_fields on an instance, which pydantic >= 2.11 flags.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Accessing the 'model_fields' attribute on the instance:DeprecationWarning"
)


# -- plumbing --------------------------------------------------------------------------------


class SyncHarbor:
    """Runs HarborAsyncClient's coroutine methods on one event loop, so the tests stay plain
    functions (the venv has no pytest-asyncio). Other attributes pass through unchanged."""

    def __init__(self, client: HarborAsyncClient):
        self.client = client
        self.runner = asyncio.Runner()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.client, name)
        if not inspect.iscoroutinefunction(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            return self.runner.run(attr(*args, **kwargs))

        return call

    def close(self) -> None:
        self.runner.run(self.client.client.aclose())
        self.runner.close()


def unknown_fields(value: Any, where: str) -> list[str]:
    """Paths of the fields harborapi's models kept as extras (fields it has no name for)."""
    found: list[str] = []
    if isinstance(value, RootModel):
        return unknown_fields(value.root, where)
    if isinstance(value, BaseModel):
        found += [f"{where}.{key}" for key in (value.model_extra or {})]
        for name in type(value).model_fields:
            found += unknown_fields(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += unknown_fields(item, f"{where}[{i}]")
    return found


def parsed(value: Any, model: type, what: str) -> Any:
    """Asserts that harborapi returned instances of model (one, or a list of them), and warns
    about fields harborapi does not know."""
    items = value if isinstance(value, list) else [value]
    if isinstance(value, list):
        assert all(isinstance(item, model) for item in items), (
            f"{what}: expected a list of {model.__name__}, got {[type(i).__name__ for i in items]}"
        )
    else:
        assert isinstance(value, model), f"{what}: expected {model.__name__}, got {type(value)!r}"
    extra = unknown_fields(value, model.__name__ if not isinstance(value, list) else f"list[{model.__name__}]")
    if extra:
        warnings.warn(f"{what}: fields harborapi's models do not define: {extra}", stacklevel=2)
    return value


def id_from_location(location: str, what: str) -> int:
    tail = location.rstrip("/").rsplit("/", 1)[-1]
    assert tail.isdigit(), f"{what}: Location header {location!r} does not end in an id"
    return int(tail)


def purge_project(harbor: SyncHarbor, name: str) -> None:
    """Best-effort cleanup after a failed run: repositories first, then the project."""
    with harbor.client.no_retry():
        try:
            for repo in harbor.get_repositories(name, page_size=100):
                harbor.delete_repository(name, repo.name.split("/", 1)[1])
        except (HarborAPIException, ValidationError):
            pass
        try:
            harbor.delete_project(name)
        except (HarborAPIException, ValidationError):
            pass


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def admin(credentials) -> tuple[str, str]:
    if credentials:
        return credentials
    password = os.environ.get("BERTH_ADMIN_PASSWORD")
    if password:
        return "admin", password
    pytest.skip("needs BERTH_E2E_USER/BERTH_E2E_PASSWORD or BERTH_ADMIN_PASSWORD (an administrator)")


@pytest.fixture(scope="module")
def harbor(registry_host, admin, api):
    """harborapi's async client with basic auth and validation on (requesting api first checks
    that the registry answers /v2/)."""
    user, password = admin
    client = HarborAsyncClient(
        url=f"http://{registry_host}/api/v2.0",
        username=user,
        secret=password,
        validate=True,
        raw=False,
    )
    assert client.validate is True and client.raw is False
    sync = SyncHarbor(client)
    try:
        yield sync
    finally:
        sync.close()


@pytest.fixture(scope="module")
def project(harbor) -> dict:
    """A private project made with create_project: {"name", "location"}."""
    name = f"harborapi-{secrets.token_hex(4)}"
    location = harbor.create_project(
        ProjectReq(project_name=name, metadata=ProjectMetadata(public="false"))
    )
    yield {"name": name, "location": location}
    purge_project(harbor, name)


@pytest.fixture(scope="module")
def image(project, registry_host, admin, api, tmp_path_factory) -> str:
    """An image pushed with skopeo to <project>/app:v1 from an OCI layout; its manifest digest."""
    user, password = admin
    workdir = tmp_path_factory.mktemp("harborapi")
    rundir = Path(tempfile.mkdtemp(prefix="berth-e2e-", dir="/tmp"))
    try:
        env = ClientEnv(workdir / "clients", rundir, registry_host, f"{user}:{password}")
        layout = OciLayout.init(workdir / "layout")
        digest = layout.new_image("v1", sample_files("harborapi"))
        Skopeo(env)(
            "copy", "--dest-tls-verify=false", f"--dest-creds={user}:{password}",
            layout.ref("v1"), env.docker_ref(f"{project['name']}/{REPO}", "v1"),
        )
    finally:
        shutil.rmtree(rundir, ignore_errors=True)
    return digest


@pytest.fixture(scope="module")
def label(harbor) -> dict:
    """A global label made with create_label: {"id", "name", "location"}."""
    name = f"harborapi-{secrets.token_hex(4)}"
    location = harbor.create_label(
        Label(name=name, description="made by the harborapi e2e test", color="#0095D3", scope="g")
    )
    label_id = id_from_location(location, "POST /labels")
    yield {"id": label_id, "name": name, "location": location}
    with harbor.client.no_retry():
        try:
            harbor.delete_label(label_id)
        except (HarborAPIException, ValidationError):
            pass


@pytest.fixture(scope="module")
def second_project(harbor) -> str:
    name = f"harborapi-copy-{secrets.token_hex(4)}"
    harbor.create_project(ProjectReq(project_name=name, metadata=ProjectMetadata(public="false")))
    yield name
    purge_project(harbor, name)


@pytest.fixture(scope="module")
def tag_v2(harbor, project, image) -> str:
    """The tag v2 on the pushed image, made with create_artifact_tag; the Location it answered."""
    return harbor.create_artifact_tag(project["name"], REPO, image, Tag(name="v2"))


@pytest.fixture(scope="module")
def copied(harbor, project, image, second_project) -> str:
    """The image copied by digest into <second_project>/app with copy_artifact; its Location."""
    return harbor.copy_artifact(second_project, REPO, f"{project['name']}/{REPO}@{image}")


# -- calls that need no image ----------------------------------------------------------------


def test_system_info(harbor):
    info = parsed(harbor.get_system_info(), GeneralInfo, "GET /systeminfo")
    assert info.harbor_version, info
    assert info.auth_mode, info
    assert info.current_time is not None, info


def test_health(harbor):
    health = parsed(harbor.health_check(), OverallHealthStatus, "GET /health")
    assert health.status == "healthy", health
    assert isinstance(health.components, list), health
    assert all(c.status == "healthy" for c in health.components), health


def test_ping(harbor):
    assert harbor.ping() == "Pong"


def test_configurations(harbor):
    config = parsed(harbor.get_config(), ConfigurationsResponse, "GET /configurations")
    assert config.auth_mode is not None and config.auth_mode.value, config
    assert config.project_creation_restriction is not None, config


def test_statistics(harbor):
    stats = parsed(harbor.get_statistics(), Statistic, "GET /statistics")
    # An administrator sees the totals.
    assert stats.total_project_count is not None and stats.total_project_count >= 1, stats
    assert stats.total_repo_count is not None, stats
    assert stats.total_storage_consumption is not None, stats


def test_current_user(harbor, admin):
    user = parsed(harbor.get_current_user(), UserResp, "GET /users/current")
    assert user.username == admin[0], user
    assert user.sysadmin_flag is True, user
    assert isinstance(user.user_id, int), user
    perms = parsed(harbor.get_current_user_permissions(), Permission, "GET /users/current/permissions")
    assert isinstance(perms, list)


# -- the project, its image and what is done with it -----------------------------------------


def test_create_and_get_project(harbor, project, admin):
    name = project["name"]
    assert project["location"].endswith(f"/projects/{name}"), (
        f"POST /projects with X-Resource-Name-In-Location: true answered Location {project['location']!r}"
    )
    got = parsed(harbor.get_project(name), Project, f"GET /projects/{name}")
    assert got.name == name, got
    assert isinstance(got.project_id, int), got
    assert got.owner_name == admin[0], got
    assert got.metadata is not None and got.metadata.public == "false", got
    assert got.creation_time is not None and got.update_time is not None, got
    assert got.deleted in (None, False), got
    by_id = parsed(harbor.get_project(got.project_id), Project, f"GET /projects/{got.project_id}")
    assert by_id.name == name, by_id
    assert harbor.project_exists(name) is True
    assert harbor.project_exists(f"{name}-absent") is False
    listed = parsed(harbor.get_projects(name=name), Project, "GET /projects?name=")
    assert [p.name for p in listed] == [name], listed


def test_current_user_permissions_in_project(harbor, project):
    project_id = harbor.get_project(project["name"]).project_id
    scope = f"/project/{project_id}"
    perms = parsed(
        harbor.get_current_user_permissions(scope=scope, relative=True), Permission,
        f"GET /users/current/permissions?scope={scope}&relative=true",
    )
    pairs = {(p.resource, p.action) for p in perms}
    assert ("repository", "push") in pairs and ("repository", "pull") in pairs, pairs


def test_repositories(harbor, project, image):
    name = project["name"]
    repos = parsed(harbor.get_repositories(name), Repository, f"GET /projects/{name}/repositories")
    assert [r.name for r in repos] == [f"{name}/{REPO}"], repos
    project_id = harbor.get_project(name).project_id
    repo = parsed(harbor.get_repository(name, REPO), Repository, f"GET /projects/{name}/repositories/{REPO}")
    assert repo.name == f"{name}/{REPO}", repo
    assert repo.project_id == project_id, repo
    assert repo.id == repos[0].id and isinstance(repo.id, int), (repo, repos)
    assert repo.artifact_count == 1, repo
    assert repo.creation_time is not None, repo
    everywhere = parsed(harbor.get_repositories(page_size=100), Repository, "GET /repositories")
    assert f"{name}/{REPO}" in [r.name for r in everywhere], everywhere
    got = parsed(harbor.get_project(name), Project, f"GET /projects/{name}")
    assert got.repo_count == 1, got


def test_artifacts(harbor, project, image):
    name = project["name"]
    path = f"/projects/{name}/repositories/{REPO}/artifacts"
    artifacts = parsed(harbor.get_artifacts(name, REPO, with_tag=True), Artifact, f"GET {path}")
    assert [a.digest for a in artifacts] == [image], artifacts
    art = artifacts[0]
    assert art.type == "IMAGE", art
    assert art.manifest_media_type == OCI_MANIFEST, art
    assert art.media_type == OCI_CONFIG, art
    assert art.repository_name == f"{name}/{REPO}", art
    assert isinstance(art.id, int) and isinstance(art.size, int) and art.size > 0, art
    assert art.push_time is not None, art
    assert [t.name for t in art.tags or []] == ["v1"], art
    assert art.extra_attrs is not None and art.extra_attrs.root.get("architecture") == "amd64", art
    assert art.extra_attrs.root.get("os") == "linux", art

    by_tag = parsed(harbor.get_artifact(name, REPO, "v1"), Artifact, f"GET {path}/v1")
    by_digest = parsed(harbor.get_artifact(name, REPO, image), Artifact, f"GET {path}/{image}")
    assert by_tag.digest == by_digest.digest == image, (by_tag, by_digest)
    assert by_tag.id == by_digest.id == art.id, (by_tag, by_digest)
    assert [t.name for t in by_digest.tags or []] == ["v1"], by_digest

    tags = parsed(harbor.get_artifact_tags(name, REPO, "v1"), Tag, f"GET {path}/v1/tags")
    assert [t.name for t in tags] == ["v1"], tags
    assert tags[0].artifact_id == art.id, (tags, art)
    assert tags[0].repository_id == art.repository_id, (tags, art)
    assert tags[0].push_time is not None, tags


def test_search(harbor, project, image):
    name = project["name"]
    found = parsed(harbor.search(name), Search, f"GET /search?q={name}")
    assert name in [p.name for p in found.project or []], found
    repos = [r.repository_name for r in found.repository or []]
    assert f"{name}/{REPO}" in repos, found


def test_label_on_artifact(harbor, project, image, label):
    name = project["name"]
    assert label["location"].endswith(f"/labels/{label['id']}"), label
    got = parsed(harbor.get_label(label["id"]), Label, f"GET /labels/{label['id']}")
    assert got.name == label["name"] and got.scope == "g" and got.color == "#0095D3", got
    listed = parsed(harbor.get_labels(name=label["name"], scope="g"), Label, "GET /labels?scope=g&name=")
    assert [l.id for l in listed] == [label["id"]], listed

    harbor.add_artifact_label(name, REPO, image, Label(id=label["id"]))

    path = f"/projects/{name}/repositories/{REPO}/artifacts"
    artifacts = parsed(
        harbor.get_artifacts(name, REPO, with_tag=True, with_label=True), Artifact,
        f"GET {path}?with_label=true",
    )
    mine = [a for a in artifacts if a.digest == image]
    assert mine, artifacts
    assert [l.id for l in mine[0].labels or []] == [label["id"]], mine[0]
    assert mine[0].labels[0].name == label["name"], mine[0]
    one = parsed(harbor.get_artifact(name, REPO, image, with_label=True), Artifact, f"GET {path}/{image}?with_label=true")
    assert [l.id for l in one.labels or []] == [label["id"]], one


def test_create_tag(harbor, project, image, tag_v2):
    name = project["name"]
    path = f"/projects/{name}/repositories/{REPO}/artifacts/{image}/tags"
    # Harbor answers 201 without a Location here (it has no API for one tag), so harborapi
    # returns "" or whatever the registry sends; nothing to check in it.
    tags = parsed(harbor.get_artifact_tags(name, REPO, image), Tag, f"GET {path}")
    assert sorted(t.name for t in tags) == ["v1", "v2"], tags
    # page_size=1: harborapi follows the Link rel="next" header to collect both pages.
    paged = parsed(harbor.get_artifact_tags(name, REPO, image, page_size=1), Tag, f"GET {path}?page_size=1")
    assert sorted(t.name for t in paged) == ["v1", "v2"], paged
    art = parsed(harbor.get_artifact(name, REPO, "v2"), Artifact, f"GET .../{REPO}/artifacts/v2")
    assert art.digest == image, art
    assert sorted(t.name for t in art.tags or []) == ["v1", "v2"], art


def test_copy_artifact(harbor, project, image, second_project, copied):
    path = f"/projects/{second_project}/repositories/{REPO}/artifacts"
    assert copied.endswith(f"{path}/{image}"), f"POST {path}?from=...@{image} answered Location {copied!r}"
    arts = parsed(harbor.get_artifacts(second_project, REPO), Artifact, f"GET {path}")
    assert [a.digest for a in arts] == [image], arts
    assert arts[0].repository_name == f"{second_project}/{REPO}", arts
    assert arts[0].project_id == harbor.get_project(second_project).project_id, arts
    one = parsed(harbor.get_artifact(second_project, REPO, image), Artifact, f"GET {path}/{image}")
    assert one.digest == image, one
    repos = parsed(harbor.get_repositories(second_project), Repository, f"GET /projects/{second_project}/repositories")
    assert [r.name for r in repos] == [f"{second_project}/{REPO}"], repos


def test_nested_repository_name(harbor, project, image, second_project, copied):
    """harborapi sends repository names URL-encoded twice (team/app as team%252Fapp)."""
    name = project["name"]
    location = harbor.copy_artifact(second_project, NESTED_REPO, f"{name}/{REPO}:v1")
    full = f"{second_project}/{NESTED_REPO}"
    repo = parsed(harbor.get_repository(second_project, NESTED_REPO), Repository, f"GET repository {full}")
    assert repo.name == full, repo
    arts = parsed(harbor.get_artifacts(second_project, NESTED_REPO), Artifact, f"GET artifacts of {full}")
    assert [a.digest for a in arts] == [image], arts
    assert arts[0].repository_name == full, arts
    one = parsed(harbor.get_artifact(second_project, NESTED_REPO, image), Artifact, f"GET artifact {full}@{image}")
    assert one.digest == image, one
    # Two repositories, one per page: harborapi follows the Link header.
    paged = parsed(
        harbor.get_repositories(second_project, page_size=1), Repository,
        f"GET /projects/{second_project}/repositories?page_size=1",
    )
    assert sorted(r.name for r in paged) == sorted([f"{second_project}/{REPO}", full]), paged

    harbor.delete_repository(second_project, NESTED_REPO)
    with pytest.raises(NotFound):
        harbor.get_repository(second_project, NESTED_REPO)
    # Harbor's Location is the request path (decoded once) plus the reference given in `from`;
    # harborapi URL-decodes it once more.
    assert location.endswith(f"/repositories/{NESTED_REPO}/artifacts/v1"), (
        f"copy into {NESTED_REPO} from {name}/{REPO}:v1 answered Location {location!r}"
    )


def test_delete_everything(harbor, project, image, label, second_project, tag_v2, copied):
    """Runs last: deletes the tag, the copied artifact, the repositories, the label and the projects."""
    name = project["name"]
    harbor.delete_artifact_tag(name, REPO, image, "v2")
    tags = parsed(harbor.get_artifact_tags(name, REPO, image), Tag, "GET tags after deleting v2")
    assert [t.name for t in tags] == ["v1"], tags

    harbor.delete_artifact(second_project, REPO, image)
    with pytest.raises(NotFound):
        harbor.get_artifact(second_project, REPO, image)

    harbor.delete_repository(name, REPO)
    with pytest.raises(NotFound):
        harbor.get_repository(name, REPO)
    assert parsed(harbor.get_repositories(name), Repository, "GET repositories after delete") == []

    harbor.delete_label(label["id"])
    with pytest.raises(NotFound):
        harbor.get_label(label["id"])

    # Harbor keeps a repository whose last artifact went (artifact_count 0) until it is deleted
    # itself; delete whatever is still listed, then the project must be empty.
    for repo in parsed(harbor.get_repositories(second_project), Repository, "GET repositories"):
        harbor.delete_repository(second_project, repo.name.split("/", 1)[1])

    for doomed in (name, second_project):
        left = parsed(harbor.get_project(doomed), Project, f"GET /projects/{doomed}")
        assert left.repo_count == 0, (
            f"{doomed}: repo_count is {left.repo_count} after deleting every repository "
            f"GET /projects/{doomed}/repositories listed"
        )
        harbor.delete_project(doomed)
        assert harbor.project_exists(doomed) is False, doomed
        with pytest.raises(NotFound):
            harbor.get_project(doomed)
