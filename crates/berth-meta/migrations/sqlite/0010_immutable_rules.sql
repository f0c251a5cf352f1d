-- Tag immutability rules of a project; the rule itself (selectors, template) as Harbor's JSON.
CREATE TABLE immutable_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    rule TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX immutable_rules_project ON immutable_rules(project_id);
