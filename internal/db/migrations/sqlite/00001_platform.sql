-- +goose Up
CREATE TABLE users (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    email VARCHAR(254) NOT NULL,
    name VARCHAR(200) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    status VARCHAR(16) NOT NULL DEFAULT 'active',
    locale VARCHAR(16) NOT NULL DEFAULT '',
    last_login_at TEXT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT uq_users_email UNIQUE (email)
);

CREATE TABLE organizations (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    slug VARCHAR(100) NOT NULL,
    personal INTEGER NOT NULL DEFAULT 0,
    owner_id VARCHAR(36) NOT NULL,
    monthly_budget_cents BIGINT NULL,
    settings_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT uq_organizations_slug UNIQUE (slug),
    CONSTRAINT fk_organizations_owner FOREIGN KEY (owner_id) REFERENCES users (id)
);
CREATE INDEX idx_organizations_owner ON organizations (owner_id);

CREATE TABLE organization_members (
    org_id VARCHAR(36) NOT NULL,
    user_id VARCHAR(36) NOT NULL,
    role VARCHAR(16) NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, user_id),
    CONSTRAINT fk_org_members_org FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_org_members_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX idx_org_members_user ON organization_members (user_id);

CREATE TABLE projects (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    org_id VARCHAR(36) NOT NULL,
    name VARCHAR(200) NOT NULL,
    description TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    created_by VARCHAR(36) NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT uq_projects_org_name UNIQUE (org_id, name),
    CONSTRAINT fk_projects_org FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE
);
CREATE INDEX idx_projects_org_created ON projects (org_id, created_at);

CREATE TABLE project_members (
    project_id VARCHAR(36) NOT NULL,
    user_id VARCHAR(36) NOT NULL,
    role VARCHAR(16) NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (project_id, user_id),
    CONSTRAINT fk_project_members_project FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE,
    CONSTRAINT fk_project_members_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX idx_project_members_user ON project_members (user_id);

CREATE TABLE documents (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    project_id VARCHAR(36) NOT NULL,
    kind VARCHAR(32) NOT NULL,
    title VARCHAR(200) NOT NULL,
    content_json TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0,
    created_by VARCHAR(36) NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT fk_documents_project FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE
);
CREATE INDEX idx_documents_project ON documents (project_id, kind);

CREATE TABLE versions (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    project_id VARCHAR(36) NOT NULL,
    name VARCHAR(200) NOT NULL,
    note TEXT NOT NULL,
    snapshot_json TEXT NOT NULL,
    created_by VARCHAR(36) NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT fk_versions_project FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE
);
CREATE INDEX idx_versions_project_created ON versions (project_id, created_at);

CREATE TABLE change_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id VARCHAR(36) NOT NULL,
    actor_type VARCHAR(16) NOT NULL,
    actor_id VARCHAR(36) NOT NULL,
    entity VARCHAR(32) NOT NULL,
    entity_id VARCHAR(36) NOT NULL,
    action VARCHAR(32) NOT NULL,
    summary VARCHAR(500) NOT NULL,
    diff_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT fk_change_log_project FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE
);
CREATE INDEX idx_change_log_project ON change_log (project_id, id);

CREATE TABLE prompt_templates (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    org_id VARCHAR(36) NOT NULL,
    slug VARCHAR(100) NOT NULL,
    category VARCHAR(32) NOT NULL,
    lang VARCHAR(16) NOT NULL,
    title VARCHAR(200) NOT NULL,
    description TEXT NOT NULL,
    body TEXT NOT NULL,
    negative_prompt TEXT NOT NULL,
    variables_json TEXT NOT NULL,
    tags_json TEXT NOT NULL,
    created_by VARCHAR(36) NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT uq_prompt_templates_org_slug UNIQUE (org_id, slug),
    CONSTRAINT fk_prompt_templates_org FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE
);
CREATE INDEX idx_prompt_templates_category ON prompt_templates (org_id, category);

CREATE TABLE prompts (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    project_id VARCHAR(36) NOT NULL,
    title VARCHAR(200) NOT NULL,
    body TEXT NOT NULL,
    negative_prompt TEXT NOT NULL,
    template_ref VARCHAR(100) NOT NULL DEFAULT '',
    variables_json TEXT NOT NULL,
    tags_json TEXT NOT NULL,
    created_by VARCHAR(36) NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT fk_prompts_project FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE
);
CREATE INDEX idx_prompts_project_created ON prompts (project_id, created_at);

CREATE TABLE experiments (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    project_id VARCHAR(36) NOT NULL,
    name VARCHAR(200) NOT NULL,
    description TEXT NOT NULL,
    status VARCHAR(16) NOT NULL,
    config_json TEXT NOT NULL,
    created_by VARCHAR(36) NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT fk_experiments_project FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE
);
CREATE INDEX idx_experiments_project ON experiments (project_id, created_at);

CREATE TABLE experiment_variants (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    experiment_id VARCHAR(36) NOT NULL,
    label VARCHAR(100) NOT NULL,
    provider VARCHAR(32) NOT NULL,
    model VARCHAR(200) NOT NULL,
    prompt_id VARCHAR(36) NULL,
    params_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT fk_experiment_variants_experiment FOREIGN KEY (experiment_id) REFERENCES experiments (id) ON DELETE CASCADE
);
CREATE INDEX idx_experiment_variants_experiment ON experiment_variants (experiment_id);

CREATE TABLE generation_jobs (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    org_id VARCHAR(36) NOT NULL,
    project_id VARCHAR(36) NOT NULL,
    experiment_id VARCHAR(36) NULL,
    created_by VARCHAR(36) NULL,
    kind VARCHAR(16) NOT NULL,
    status VARCHAR(16) NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    priority INT NOT NULL DEFAULT 0,
    idempotency_key VARCHAR(200) NULL,
    request_hash VARCHAR(64) NOT NULL,
    request_json TEXT NOT NULL,
    estimated_cost_cents BIGINT NOT NULL DEFAULT 0,
    actual_cost_cents BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    started_at TEXT NULL,
    finished_at TEXT NULL,
    CONSTRAINT uq_generation_jobs_idempotency UNIQUE (org_id, idempotency_key),
    CONSTRAINT fk_generation_jobs_project FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE,
    CONSTRAINT fk_generation_jobs_experiment FOREIGN KEY (experiment_id) REFERENCES experiments (id) ON DELETE SET NULL
);
CREATE INDEX idx_generation_jobs_project ON generation_jobs (project_id, created_at);
CREATE INDEX idx_generation_jobs_org_created ON generation_jobs (org_id, created_at);
CREATE INDEX idx_generation_jobs_status ON generation_jobs (status);
CREATE INDEX idx_generation_jobs_experiment ON generation_jobs (experiment_id);

CREATE TABLE job_tasks (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    job_id VARCHAR(36) NOT NULL,
    variant_id VARCHAR(36) NULL,
    kind VARCHAR(16) NOT NULL,
    provider VARCHAR(32) NOT NULL,
    model VARCHAR(200) NOT NULL,
    prompt TEXT NOT NULL,
    params_json TEXT NOT NULL,
    status VARCHAR(16) NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    priority INT NOT NULL DEFAULT 0,
    attempt INT NOT NULL DEFAULT 0,
    max_attempts INT NOT NULL DEFAULT 3,
    provider_job_id VARCHAR(200) NULL,
    dedupe_key VARCHAR(64) NOT NULL,
    error_code VARCHAR(32) NOT NULL DEFAULT '',
    error_message TEXT NOT NULL,
    estimated_cost_cents BIGINT NOT NULL DEFAULT 0,
    actual_cost_cents BIGINT NOT NULL DEFAULT 0,
    output_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    started_at TEXT NULL,
    finished_at TEXT NULL,
    CONSTRAINT fk_job_tasks_job FOREIGN KEY (job_id) REFERENCES generation_jobs (id) ON DELETE CASCADE
);
CREATE INDEX idx_job_tasks_job ON job_tasks (job_id);
CREATE INDEX idx_job_tasks_provider_status ON job_tasks (provider, status);
CREATE INDEX idx_job_tasks_dedupe ON job_tasks (dedupe_key, status);

CREATE TABLE job_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id VARCHAR(36) NOT NULL,
    task_id VARCHAR(36) NULL,
    level VARCHAR(8) NOT NULL,
    type VARCHAR(32) NOT NULL,
    message VARCHAR(1000) NOT NULL,
    data_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT fk_job_events_job FOREIGN KEY (job_id) REFERENCES generation_jobs (id) ON DELETE CASCADE
);
CREATE INDEX idx_job_events_job ON job_events (job_id, id);
CREATE INDEX idx_job_events_task ON job_events (task_id);

CREATE TABLE storage_files (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    disk VARCHAR(16) NOT NULL,
    path VARCHAR(512) NOT NULL,
    size_bytes BIGINT NOT NULL,
    checksum_sha256 VARCHAR(64) NOT NULL,
    mime VARCHAR(100) NOT NULL,
    tier VARCHAR(8) NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NULL,
    CONSTRAINT uq_storage_files_disk_path UNIQUE (disk, path)
);
CREATE INDEX idx_storage_files_expires ON storage_files (tier, expires_at);

CREATE TABLE assets (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    org_id VARCHAR(36) NOT NULL,
    project_id VARCHAR(36) NOT NULL,
    job_id VARCHAR(36) NULL,
    task_id VARCHAR(36) NULL,
    storage_file_id VARCHAR(36) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    name VARCHAR(255) NOT NULL,
    mime VARCHAR(100) NOT NULL,
    size_bytes BIGINT NOT NULL,
    checksum_sha256 VARCHAR(64) NOT NULL,
    duration_ms BIGINT NOT NULL DEFAULT 0,
    width INT NOT NULL DEFAULT 0,
    height INT NOT NULL DEFAULT 0,
    fps REAL NOT NULL DEFAULT 0,
    video_codec VARCHAR(32) NOT NULL DEFAULT '',
    audio_codec VARCHAR(32) NOT NULL DEFAULT '',
    meta_json TEXT NOT NULL,
    check_json TEXT NOT NULL,
    created_by VARCHAR(36) NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT fk_assets_project FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE,
    CONSTRAINT fk_assets_job FOREIGN KEY (job_id) REFERENCES generation_jobs (id) ON DELETE SET NULL,
    CONSTRAINT fk_assets_storage_file FOREIGN KEY (storage_file_id) REFERENCES storage_files (id)
);
CREATE INDEX idx_assets_project_created ON assets (project_id, created_at);
CREATE INDEX idx_assets_job ON assets (job_id);
CREATE INDEX idx_assets_task ON assets (task_id);
CREATE INDEX idx_assets_storage_file ON assets (storage_file_id);

CREATE TABLE provider_accounts (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    org_id VARCHAR(36) NOT NULL,
    provider VARCHAR(32) NOT NULL,
    name VARCHAR(100) NOT NULL,
    secret_ciphertext BLOB NOT NULL,
    wrapped_key BLOB NOT NULL,
    key_version INT NOT NULL,
    config_json TEXT NOT NULL,
    status VARCHAR(16) NOT NULL,
    last_used_at TEXT NULL,
    created_by VARCHAR(36) NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT uq_provider_accounts_org_name UNIQUE (org_id, provider, name),
    CONSTRAINT fk_provider_accounts_org FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE
);

CREATE TABLE reviews (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    project_id VARCHAR(36) NOT NULL,
    experiment_id VARCHAR(36) NULL,
    task_id VARCHAR(36) NULL,
    asset_id VARCHAR(36) NULL,
    user_id VARCHAR(36) NOT NULL,
    vote INT NOT NULL DEFAULT 0,
    rating INT NULL,
    comment TEXT NOT NULL,
    data_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT fk_reviews_project FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE,
    CONSTRAINT fk_reviews_experiment FOREIGN KEY (experiment_id) REFERENCES experiments (id) ON DELETE CASCADE,
    CONSTRAINT fk_reviews_asset FOREIGN KEY (asset_id) REFERENCES assets (id) ON DELETE CASCADE
);
CREATE INDEX idx_reviews_project ON reviews (project_id, created_at);
CREATE INDEX idx_reviews_experiment ON reviews (experiment_id);
CREATE INDEX idx_reviews_asset ON reviews (asset_id);

CREATE TABLE collab_ops (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id VARCHAR(36) NOT NULL,
    seq BIGINT NOT NULL,
    user_id VARCHAR(36) NOT NULL,
    patch_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT uq_collab_ops_document_seq UNIQUE (document_id, seq),
    CONSTRAINT fk_collab_ops_document FOREIGN KEY (document_id) REFERENCES documents (id) ON DELETE CASCADE
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id VARCHAR(36) NULL,
    actor_type VARCHAR(16) NOT NULL,
    actor_id VARCHAR(36) NOT NULL,
    action VARCHAR(64) NOT NULL,
    target_type VARCHAR(32) NOT NULL,
    target_id VARCHAR(36) NOT NULL,
    ip VARCHAR(45) NOT NULL,
    user_agent VARCHAR(300) NOT NULL,
    data_json TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX idx_audit_log_org ON audit_log (org_id, id);
CREATE INDEX idx_audit_log_actor ON audit_log (actor_id);

CREATE TABLE refresh_tokens (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    user_id VARCHAR(36) NOT NULL,
    family_id VARCHAR(36) NOT NULL,
    token_hash VARCHAR(64) NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT NULL,
    revoked_at TEXT NULL,
    ip VARCHAR(45) NOT NULL,
    user_agent VARCHAR(300) NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT uq_refresh_tokens_hash UNIQUE (token_hash),
    CONSTRAINT fk_refresh_tokens_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX idx_refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX idx_refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE api_keys (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    org_id VARCHAR(36) NOT NULL,
    name VARCHAR(100) NOT NULL,
    prefix VARCHAR(16) NOT NULL,
    key_hash VARCHAR(64) NOT NULL,
    role VARCHAR(16) NOT NULL,
    created_by VARCHAR(36) NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT NULL,
    expires_at TEXT NULL,
    revoked_at TEXT NULL,
    CONSTRAINT uq_api_keys_prefix UNIQUE (prefix),
    CONSTRAINT fk_api_keys_org FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE
);
CREATE INDEX idx_api_keys_org ON api_keys (org_id);

-- +goose Down
DROP TABLE api_keys;
DROP TABLE refresh_tokens;
DROP TABLE audit_log;
DROP TABLE collab_ops;
DROP TABLE reviews;
DROP TABLE provider_accounts;
DROP TABLE assets;
DROP TABLE storage_files;
DROP TABLE job_events;
DROP TABLE job_tasks;
DROP TABLE generation_jobs;
DROP TABLE experiment_variants;
DROP TABLE experiments;
DROP TABLE prompts;
DROP TABLE prompt_templates;
DROP TABLE change_log;
DROP TABLE versions;
DROP TABLE documents;
DROP TABLE project_members;
DROP TABLE projects;
DROP TABLE organization_members;
DROP TABLE organizations;
DROP TABLE users;
