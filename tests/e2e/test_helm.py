"""A Helm chart stored the way `helm push` stores it (Helm's OCI media types), pushed with raw
HTTP and pulled back."""

from __future__ import annotations

import io
import json
import secrets
import tarfile

from berth_e2e.registry_api import OCI_MANIFEST, Descriptor, manifest_json, sha256_digest

HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_CHART = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"

TEMPLATE = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-greeting
data:
  greeting: {{ .Values.greeting | quote }}
"""


def chart_metadata(name: str, version: str) -> dict:
    return {
        "apiVersion": "v2",
        "name": name,
        "version": version,
        "appVersion": "1.0.0",
        "description": "A chart made by berth's end-to-end tests",
        "type": "application",
    }


def chart_yaml(meta: dict) -> str:
    return "".join(f"{key}: {json.dumps(value)}\n" for key, value in meta.items())


def package_chart(meta: dict, greeting: str, readme: str | None = None) -> bytes:
    """A chart .tgz as `helm package` lays it out: everything under a folder named after the chart."""
    files = {
        "Chart.yaml": chart_yaml(meta),
        "values.yaml": f"greeting: {json.dumps(greeting)}\n",
        "templates/configmap.yaml": TEMPLATE,
        ".helmignore": ".git/\n",
        # A subchart's values must not be taken for the chart's.
        "charts/sub/values.yaml": "sub: true\n",
    }
    if readme is not None:
        files["README.md"] = readme
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{meta['name']}/{path}")
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def oci_tag(version: str) -> str:
    """Helm's tag for a chart version: OCI tags cannot hold '+', so Helm writes '_'."""
    return version.replace("+", "_")


def push_chart(api, repo: str, meta: dict, chart: bytes) -> str:
    config = json.dumps(meta).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": Descriptor(HELM_CONFIG, api.push_blob(repo, config), len(config)).to_json(),
        "layers": [Descriptor(HELM_CHART, api.push_blob(repo, chart), len(chart)).to_json()],
        "annotations": {
            "org.opencontainers.image.title": meta["name"],
            "org.opencontainers.image.version": meta["version"],
            "org.opencontainers.image.description": meta["description"],
        },
    }
    body = json.dumps(manifest, indent=2).encode()
    api.put_manifest(repo, oci_tag(meta["version"]), body, OCI_MANIFEST)
    return sha256_digest(body)


def read_chart(chart: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(chart), mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def test_helm_chart_push_pull(api, new_repo):
    repo = new_repo("charts")
    name = repo.rsplit("/", 1)[-1]
    pushed = {}
    for version in ("0.1.0", "0.2.0+build.7"):
        meta = chart_metadata(name, version)
        chart = package_chart(meta, f"hello {secrets.token_hex(8)}")
        pushed[oci_tag(version)] = (meta, chart, push_chart(api, repo, meta, chart))

    assert sorted(api.tags(repo)) == sorted(pushed), f"tags of {repo}: {api.tags(repo)}"
    for tag, (meta, chart, digest) in pushed.items():
        body, content_type = api.fetch_manifest(repo, tag, accept=(OCI_MANIFEST,))
        assert sha256_digest(body) == digest, f"chart {tag}: manifest changed"
        assert content_type == OCI_MANIFEST, f"chart {tag}: manifest served as {content_type!r}"
        manifest = manifest_json(body)
        assert manifest["config"]["mediaType"] == HELM_CONFIG, manifest
        assert [l["mediaType"] for l in manifest["layers"]] == [HELM_CHART], manifest

        config = json.loads(api.fetch_blob(repo, manifest["config"]["digest"]))
        assert config == meta, f"chart {tag}: config {config} is not Chart.yaml {meta}"
        pulled = api.fetch_blob(repo, manifest["layers"][0]["digest"])
        assert pulled == chart, f"chart {tag}: package bytes differ"
        files = read_chart(pulled)
        assert files[f"{name}/Chart.yaml"].decode() == chart_yaml(meta), files
        assert f"{name}/templates/configmap.yaml" in files, sorted(files)


def test_the_harbor_api_shows_a_chart_with_its_additions(api, new_repo, registry_host, credentials):
    """Harbor's artifact view of a chart: type CHART, the chart metadata as extra_attrs, and
    the values, readme and dependencies additions read from the chart itself."""
    import requests

    repo = new_repo("chartapi")
    project, name = repo.split("/", 1)
    meta = chart_metadata(name, "1.2.3")
    meta["dependencies"] = [{"name": "redis", "version": "17.0.0", "repository": "https://charts.example"}]
    greeting = f"hi {secrets.token_hex(4)}"
    push_chart(api, repo, meta, package_chart(meta, greeting, readme="# The chart\n"))
    session = requests.Session()
    session.auth = credentials
    base = f"http://{registry_host}/api/v2.0/projects/{project}/repositories/{name.replace('/', '%252F')}/artifacts/1.2.3"
    art = session.get(base, timeout=30).json()
    assert art["type"] == "CHART", art
    assert art["extra_attrs"]["name"] == name and art["extra_attrs"]["version"] == "1.2.3", art
    assert set(art["addition_links"]) == {"values.yaml", "readme.md", "dependencies"}, art
    values = session.get(base + "/additions/values.yaml", timeout=30)
    assert values.status_code == 200 and values.text == f"greeting: {json.dumps(greeting)}\n", values.text
    readme = session.get(base + "/additions/readme.md", timeout=30)
    assert readme.status_code == 200 and readme.text == "# The chart\n"
    assert readme.headers["Content-Type"].startswith("text/markdown")
    deps = session.get(base + "/additions/dependencies", timeout=30)
    assert deps.json() == meta["dependencies"]
    assert session.get(base + "/additions/build_history", timeout=30).status_code == 404
