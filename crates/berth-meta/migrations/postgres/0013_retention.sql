-- Tag retention: one policy per project, and per execution one record per repository it
-- went through (what Harbor lists as the execution's tasks), with its log.
CREATE TABLE retention_policies (
    id BIGSERIAL PRIMARY KEY,
    project_id BIGINT NOT NULL UNIQUE REFERENCES projects(id) ON DELETE CASCADE,
    policy TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE retention_tasks (
    id BIGSERIAL PRIMARY KEY,
    execution_id BIGINT NOT NULL REFERENCES job_executions(id) ON DELETE CASCADE,
    repository TEXT NOT NULL,
    status TEXT NOT NULL,
    total BIGINT NOT NULL,
    retained BIGINT NOT NULL,
    log TEXT NOT NULL,
    start_time BIGINT NOT NULL,
    end_time BIGINT NOT NULL,
    UNIQUE (execution_id, repository)
);
