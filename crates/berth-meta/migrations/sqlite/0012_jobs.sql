-- The job service: executions (one run of something), their tasks (what a worker claims,
-- under a lease), each task's log, periodic schedules, paused queues and the worker pools.

CREATE TABLE job_executions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    vendor_type TEXT NOT NULL,
    vendor_id BIGINT NOT NULL DEFAULT -1,
    trigger_kind TEXT NOT NULL,
    parameters TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL,
    status_message TEXT NOT NULL DEFAULT '',
    results TEXT NOT NULL DEFAULT '{}',
    stop_requested INTEGER NOT NULL DEFAULT 0,
    start_time BIGINT NOT NULL,
    update_time BIGINT NOT NULL,
    end_time BIGINT
);
CREATE INDEX job_executions_vendor ON job_executions(vendor_type, vendor_id, id);

CREATE TABLE job_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_id BIGINT NOT NULL REFERENCES job_executions(id) ON DELETE CASCADE,
    vendor_type TEXT NOT NULL,
    job_id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    status_message TEXT NOT NULL DEFAULT '',
    run_count INTEGER NOT NULL DEFAULT 0,
    max_runs INTEGER NOT NULL,
    timeout_ms BIGINT NOT NULL,
    not_before BIGINT NOT NULL,
    owner TEXT,
    lease_until BIGINT,
    stop_requested INTEGER NOT NULL DEFAULT 0,
    check_in TEXT NOT NULL DEFAULT '',
    creation_time BIGINT NOT NULL,
    start_time BIGINT,
    update_time BIGINT NOT NULL,
    end_time BIGINT
);
CREATE INDEX job_tasks_status ON job_tasks(status, not_before);
CREATE INDEX job_tasks_execution ON job_tasks(execution_id);

CREATE TABLE job_task_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id BIGINT NOT NULL REFERENCES job_tasks(id) ON DELETE CASCADE,
    line TEXT NOT NULL
);
CREATE INDEX job_task_logs_task ON job_task_logs(task_id, id);

-- One periodic schedule per vendor; a node fires it by moving next_time forward with a
-- compare-and-set, so it runs once however many nodes share the database.
CREATE TABLE job_schedules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    vendor_type TEXT NOT NULL,
    vendor_id BIGINT NOT NULL DEFAULT -1,
    cron_type TEXT NOT NULL,
    cron TEXT NOT NULL,
    parameters TEXT NOT NULL DEFAULT '{}',
    next_time BIGINT NOT NULL,
    creation_time BIGINT NOT NULL,
    update_time BIGINT NOT NULL,
    UNIQUE (vendor_type, vendor_id)
);

-- One row per job type once used; claiming a task locks it, so a type's concurrency limit
-- holds across nodes, and `paused` keeps its tasks (and schedules) waiting.
CREATE TABLE job_queues (
    job_type TEXT PRIMARY KEY,
    paused INTEGER NOT NULL DEFAULT 0,
    update_time BIGINT NOT NULL
);

-- The worker pool of each node, kept alive by a heartbeat.
CREATE TABLE job_pools (
    id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid BIGINT NOT NULL,
    concurrency INTEGER NOT NULL,
    start_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);
