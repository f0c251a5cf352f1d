-- A deleted user keeps its row (projects name their owner), renamed `<name>#<id>` so that the
-- name and email can be taken again, with no password and no memberships.
ALTER TABLE users ADD COLUMN deleted BIGINT NOT NULL DEFAULT 0;
