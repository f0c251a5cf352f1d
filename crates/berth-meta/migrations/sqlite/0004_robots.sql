-- Robot accounts: system-level (project_id 0) or bound to one project.
CREATE TABLE robots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Without the robot prefix and without the project: "ci", not "robot$library+ci".
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    level TEXT NOT NULL,
    project_id BIGINT NOT NULL,
    -- A PHC string (argon2id) of the secret.
    secret_hash TEXT NOT NULL,
    disabled BIGINT NOT NULL,
    duration BIGINT NOT NULL,
    -- Unix seconds, or -1 for never.
    expires_at BIGINT NOT NULL,
    -- The permission list as Harbor's JSON (RobotPermission objects).
    permissions TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (level, project_id, name)
);
