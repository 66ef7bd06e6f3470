-- +goose Up
-- queue_entries holds the database queue (QUEUE_CONNECTION=database). An
-- entry is ready (claimable once run_at has passed), running (leased to
-- lease_owner until lease_until; lease_token changes on every claim so a
-- worker whose lease was taken over can no longer ack, retry or extend it)
-- or dead. unique_key is set only while the entry is ready or running, so
-- a key can be enqueued again once its entry is acked or dead.
CREATE TABLE queue_entries (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    queue VARCHAR(64) NOT NULL,
    task_id VARCHAR(64) NOT NULL DEFAULT '',
    kind VARCHAR(32) NOT NULL DEFAULT '',
    payload TEXT NOT NULL,
    priority INT NOT NULL DEFAULT 0,
    run_at TEXT NOT NULL,
    attempts INT NOT NULL DEFAULT 0,
    max_attempts INT NOT NULL DEFAULT 25,
    unique_key VARCHAR(255) NULL,
    state VARCHAR(16) NOT NULL,
    lease_owner VARCHAR(200) NULL,
    lease_token VARCHAR(32) NULL,
    lease_until TEXT NULL,
    woken INT NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT uq_queue_entries_unique_key UNIQUE (unique_key)
);
CREATE INDEX idx_queue_entries_claim ON queue_entries (queue, state, priority, run_at, id);
CREATE INDEX idx_queue_entries_lease ON queue_entries (queue, state, lease_until);
CREATE INDEX idx_queue_entries_task ON queue_entries (task_id, state);

-- queue_outbox carries entries enqueued inside a database transaction to the
-- redis queue (QUEUE_CONNECTION=redis): the relay copies each row to Redis
-- under its id, then deletes it.
CREATE TABLE queue_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id VARCHAR(36) NOT NULL,
    queue VARCHAR(64) NOT NULL,
    task_id VARCHAR(64) NOT NULL DEFAULT '',
    kind VARCHAR(32) NOT NULL DEFAULT '',
    payload TEXT NOT NULL,
    priority INT NOT NULL DEFAULT 0,
    run_at TEXT NULL,
    max_attempts INT NOT NULL DEFAULT 25,
    unique_key VARCHAR(255) NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT uq_queue_outbox_id UNIQUE (id),
    CONSTRAINT uq_queue_outbox_unique_key UNIQUE (unique_key)
);

-- +goose Down
DROP TABLE queue_outbox;
DROP TABLE queue_entries;
