-- Harbor's artifact model on top of the registry's manifests: what the API lists and shows.
ALTER TABLE repositories ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE repositories ADD COLUMN pull_count BIGINT NOT NULL DEFAULT 0;

-- Harbor's media_type: the config's media type of an image manifest, else the manifest's.
ALTER TABLE manifests ADD COLUMN config_media_type TEXT;
-- The manifest, its config and its layers (an index: itself and its children present).
ALTER TABLE manifests ADD COLUMN total_size BIGINT NOT NULL DEFAULT 0;
-- Facts from the config (architecture, os, created, author, config; a chart's metadata).
ALTER TABLE manifests ADD COLUMN extra_attrs TEXT;
-- Set for accessories (signature.cosign, signature.notation, sbom.harbor, subject.accessory).
ALTER TABLE manifests ADD COLUMN accessory_type TEXT;
ALTER TABLE manifests ADD COLUMN pull_time BIGINT NOT NULL DEFAULT 0;
CREATE INDEX manifests_listing ON manifests(repository_id, created_at, id);

-- Tags get an id (Harbor's Tag.id) and a pull time.
ALTER TABLE tags ADD COLUMN id BIGSERIAL UNIQUE;
ALTER TABLE tags ADD COLUMN pull_time BIGINT NOT NULL DEFAULT 0;

-- Labels: global (scope 'g', project 0) or of one project (scope 'p').
CREATE TABLE labels (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    color TEXT NOT NULL,
    scope TEXT NOT NULL,
    project_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (scope, project_id, name)
);

CREATE TABLE artifact_labels (
    manifest_id BIGINT NOT NULL REFERENCES manifests(id) ON DELETE CASCADE,
    label_id BIGINT NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (manifest_id, label_id)
);
CREATE INDEX artifact_labels_label ON artifact_labels(label_id);
