-- The system configuration (Harbor's /configurations keys): one JSON value per key that was
-- ever set; keys not here have their default.
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
