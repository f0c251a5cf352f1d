-- Garbage collection: a blob's state and a version every new use bumps, so a sweep marks a
-- blob only if nothing took it up since it was found unreferenced.
ALTER TABLE blobs ADD COLUMN status TEXT NOT NULL DEFAULT 'none';
ALTER TABLE blobs ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE blobs ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
UPDATE blobs SET updated_at = created_at;
CREATE INDEX blobs_status ON blobs(status, updated_at);

-- A write of a blob's bytes in progress (an upload completing): while a pin names a digest,
-- no sweep marks that blob.
CREATE TABLE blob_pins (
    id TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX blob_pins_digest ON blob_pins(digest);

-- One storage quota per project; `used` changes in the transaction that changes what the
-- project references.
CREATE TABLE quotas (
    id BIGSERIAL PRIMARY KEY,
    project_id BIGINT NOT NULL UNIQUE REFERENCES projects(id) ON DELETE CASCADE,
    hard BIGINT NOT NULL,
    used BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Quotas of the projects that exist already; their usage is counted at the next start.
INSERT INTO quotas (project_id, hard, used, created_at, updated_at)
SELECT id, -1, 0, created_at, created_at FROM projects;

-- "Does this project already hold this manifest?" (quota accounting) looks manifests up by digest.
CREATE INDEX manifests_digest ON manifests(digest);
