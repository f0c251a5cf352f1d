-- The audit log: who did what to which resource, when, and whether it worked.
CREATE TABLE audit_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The name of the project the resource belongs to; NULL for system resources (users).
    project TEXT,
    username TEXT NOT NULL,
    operation TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource TEXT NOT NULL,
    description TEXT NOT NULL,
    success BIGINT NOT NULL,
    op_time BIGINT NOT NULL
);
CREATE INDEX audit_logs_time ON audit_logs(op_time);
CREATE INDEX audit_logs_project ON audit_logs(project, op_time);
