-- Artifact listings read only this index (order, id, digest) for the rows they filter and
-- count: the manifest rows, which carry the manifest bytes, are read for the page only.
DROP INDEX manifests_listing;
CREATE INDEX manifests_artifacts ON manifests(repository_id, created_at, id, digest)
    WHERE accessory_type IS NULL;
