-- Running a sale: a claim window, a pause switch, restock and release, idempotent claims and the
-- admin audit log.

ALTER TABLE coupons
    -- The claim window, judged by the database's clock (now() in the claim statement). NULL is
    -- "no bound".
    ADD COLUMN starts_at TIMESTAMPTZ,
    ADD COLUMN ends_at   TIMESTAMPTZ,
    -- Claims are refused while true (409 paused).
    ADD COLUMN paused    BOOLEAN NOT NULL DEFAULT false,
    -- Bumped by every statement that changes the row (a claim, a batch, a release, a patch).
    -- Stock is no longer monotonic (restock and release add units back), so the batched engine
    -- compares this counter, never the stock, to know whether anything changed between its
    -- snapshot and its row lock: a counter cannot come back to an earlier value (no A-B-A).
    ADD COLUMN version   BIGINT  NOT NULL DEFAULT 0,
    ADD CONSTRAINT window_in_order CHECK (starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at);

-- Why a sale refuses every claim right now, or NULL when it takes claims: the one statement of
-- the rule, in the contract's order (paused, then not started, then ended), by the database's
-- clock. STABLE, so now() is the claim statement's own.
CREATE FUNCTION sale_refusal(paused BOOLEAN, starts_at TIMESTAMPTZ, ends_at TIMESTAMPTZ)
RETURNS TEXT LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN paused THEN 'paused'
                WHEN now() < starts_at THEN 'not_started'
                WHEN now() >= ends_at THEN 'ended'
           END
$$;

-- Idempotency-Key of POST /api/coupons/claim (Stripe's semantics). A row is taken ("in
-- progress", status NULL) before the claim runs and completed with the answer after it; a replay
-- reads the answer back. Rows older than 24 hours are purged by the server.
CREATE TABLE idempotency_keys (
    key          TEXT        PRIMARY KEY CHECK (char_length(key) BETWEEN 1 AND 255),
    -- SHA-256 of the canonical request (user_id, coupon_name): "the same body".
    request_hash BYTEA       NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- When the current owner took the key; an owner that died frees it after a while.
    locked_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- The stored answer, both NULL while in progress.
    status       SMALLINT,
    body         TEXT
);

-- The purge walks the oldest keys first.
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);

-- Every admin action, in order: who, when, what, and the values before and after.
CREATE TABLE audit_log (
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    -- "token", "session:<id>", "open" (no admin password set) or "ip:<address>" for sign-ins.
    actor       TEXT        NOT NULL,
    -- coupon.create, coupon.patch, claim.release, signin.success, signin.failure
    action      TEXT        NOT NULL,
    coupon_name TEXT,
    before      JSONB,
    after       JSONB
);
