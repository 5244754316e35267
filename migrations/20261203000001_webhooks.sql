-- Webhooks (docs/webhooks.md): endpoints, a transactional outbox filled by triggers, and one
-- delivery row per event and endpoint.

CREATE TABLE webhook_endpoints (
    id                    BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url                   TEXT        NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2048),
    description           TEXT        NOT NULL DEFAULT '' CHECK (char_length(description) <= 255),
    -- Event types ('claim.created', ...); the server checks the names.
    events                TEXT[]      NOT NULL CHECK (cardinality(events) >= 1),
    -- The signing secret (whsec_ and base64 of 32 random bytes). Kept in clear: an HMAC needs
    -- the key itself, and the receiver holds the same secret.
    secret                TEXT        NOT NULL,
    -- After a rotation, the old secret also signs until previous_secret_until.
    previous_secret       TEXT,
    previous_secret_until TIMESTAMPTZ,
    enabled               BOOLEAN     NOT NULL DEFAULT true,
    -- Why the dispatcher disabled it (410 Gone, failing for too long); NULL when an admin did.
    disabled_reason       TEXT,
    -- The first failure of the current run of failures; NULL after a success.
    failing_since         TIMESTAMPTZ,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by            TEXT        NOT NULL
);

-- The outbox: one row per statement that changed something a webhook may report, written by the
-- triggers below in that statement's transaction, so an event exists exactly when its change
-- committed. A claim batch of 500 claims is one row (two arrays of 500), not 500 rows. The
-- dispatcher turns rows into deliveries and deletes them, taking them with SKIP LOCKED: a row
-- of a transaction still running is invisible to it, so no cursor can skip it.
CREATE TABLE webhook_outbox (
    id          BIGINT        GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type        TEXT          NOT NULL,
    -- claim.created: the coupon and the claims' users and times, in claim order (plain arrays:
    -- the claim path builds no JSON).
    coupon_name TEXT,
    user_ids    TEXT[],
    claimed_ats TIMESTAMPTZ[],
    -- Every other type: a JSON array, one item per event, each an event's `data`.
    data        JSONB,
    created_at  TIMESTAMPTZ   NOT NULL DEFAULT now(),
    CONSTRAINT webhook_outbox_one_form CHECK ((data IS NULL) <> (user_ids IS NULL))
);

CREATE TABLE webhook_deliveries (
    id              BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id     BIGINT      NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    -- The event's id (the webhook-id header): the same on every attempt and every endpoint.
    event_id        TEXT        NOT NULL,
    event_type      TEXT        NOT NULL,
    -- The exact bytes sent and signed.
    body            TEXT        NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    -- pending until a 2xx (delivered) or the last retry failed (failed).
    state           TEXT        NOT NULL DEFAULT 'pending'
                                CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER     NOT NULL DEFAULT 0,
    -- When the next attempt is due. While an attempt runs it is its lease's end: a process that
    -- dies mid-send leaves the row due again after the lease (at least once, never lost).
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_attempt_at TIMESTAMPTZ,
    last_status     INTEGER,
    last_error      TEXT,
    last_latency_ms INTEGER,
    delivered_at    TIMESTAMPTZ,
    CONSTRAINT webhook_deliveries_event_key UNIQUE (endpoint_id, event_id)
);

CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (endpoint_id, id DESC);
CREATE INDEX webhook_deliveries_done_idx ON webhook_deliveries (created_at)
    WHERE state <> 'pending';

-- True when some enabled endpoint subscribes to `kind`: without one, no outbox row is written.
CREATE FUNCTION webhook_wanted(kind TEXT) RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE enabled AND kind = ANY (events))
$$;

-- Writes one outbox row of `kind` with `items` (a JSON array, NULL or empty: nothing) and wakes
-- the dispatchers when the transaction commits (NOTIFY is transactional).
CREATE FUNCTION webhook_emit(kind TEXT, items JSONB) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
    IF items IS NOT NULL AND jsonb_array_length(items) > 0 THEN
        INSERT INTO webhook_outbox (type, data) VALUES (kind, items);
        PERFORM pg_notify('coupon_webhooks', '');
    END IF;
END
$$;

-- Claims inserted by one statement (a batch, or a single claim): one claim.created row per
-- coupon. No NOTIFY here: a notifying commit takes one cluster-wide lock until it has committed, which
-- would serialise the claim batches of all coupons; dispatchers find these rows by polling
-- (quickly while their process takes claims).
CREATE FUNCTION webhook_claims_inserted() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF webhook_wanted('claim.created') THEN
        INSERT INTO webhook_outbox (type, coupon_name, user_ids, claimed_ats)
        SELECT 'claim.created', coupon_name, array_agg(user_id ORDER BY id),
               array_agg(claimed_at ORDER BY id)
        FROM new_claims GROUP BY coupon_name;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER claims_webhook_inserted AFTER INSERT ON claims
    REFERENCING NEW TABLE AS new_claims
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_claims_inserted();

-- A release deletes the claim row.
CREATE FUNCTION webhook_claims_deleted() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF webhook_wanted('claim.released') THEN
        PERFORM webhook_emit('claim.released', (
            SELECT jsonb_agg(jsonb_build_object('coupon_name', coupon_name, 'user_id', user_id,
                                                'claimed_at', claimed_at, 'released_at', now())
                             ORDER BY id)
            FROM old_claims));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER claims_webhook_deleted AFTER DELETE ON claims
    REFERENCING OLD TABLE AS old_claims
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_claims_deleted();

CREATE FUNCTION webhook_claim_redeemed() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF webhook_wanted('claim.redeemed') THEN
        PERFORM webhook_emit('claim.redeemed', jsonb_build_array(jsonb_build_object(
            'coupon_name', NEW.coupon_name, 'user_id', NEW.user_id,
            'claimed_at', NEW.claimed_at, 'redeemed_at', NEW.redeemed_at)));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER claims_webhook_redeemed AFTER UPDATE OF redeemed_at ON claims
    FOR EACH ROW WHEN (OLD.redeemed_at IS NULL AND NEW.redeemed_at IS NOT NULL)
    EXECUTE FUNCTION webhook_claim_redeemed();

-- coupon.updated when the admin changes a setting (pause, restock, window); coupon.sold_out when
-- the stock reaches zero. The WHEN clause runs without calling the function, so a claim batch's
-- decrement that leaves stock pays only for it.
CREATE FUNCTION webhook_coupon_changed() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
    coupon JSONB := jsonb_build_object(
        'coupon_name', NEW.name, 'amount', NEW.amount, 'remaining_amount', NEW.remaining_amount,
        'paused', NEW.paused, 'starts_at', NEW.starts_at, 'ends_at', NEW.ends_at);
BEGIN
    IF (OLD.amount, OLD.paused, OLD.starts_at, OLD.ends_at)
           IS DISTINCT FROM (NEW.amount, NEW.paused, NEW.starts_at, NEW.ends_at)
       AND webhook_wanted('coupon.updated') THEN
        PERFORM webhook_emit('coupon.updated', jsonb_build_array(coupon));
    END IF;
    IF NEW.remaining_amount = 0 AND OLD.remaining_amount > 0
       AND webhook_wanted('coupon.sold_out') THEN
        PERFORM webhook_emit('coupon.sold_out', jsonb_build_array(coupon));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER coupons_webhook_changed AFTER UPDATE ON coupons
    FOR EACH ROW WHEN (
        (OLD.amount, OLD.paused, OLD.starts_at, OLD.ends_at)
            IS DISTINCT FROM (NEW.amount, NEW.paused, NEW.starts_at, NEW.ends_at)
        OR (NEW.remaining_amount = 0 AND OLD.remaining_amount > 0))
    EXECUTE FUNCTION webhook_coupon_changed();
