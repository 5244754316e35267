-- One schema and one set of statements for plain PostgreSQL and for Citus (docs/scale.md,
-- docs/architecture.md "Rules that hold on both engines"). Everything a claim, a release or a
-- redemption touches is keyed by its coupon, and each of them is one function call: one round
-- trip, which Citus hands whole to the worker that holds the coupon.

-- Claims are keyed by their coupon first (Citus wants the distribution column in every unique
-- key). The new primary key also serves "claims of a coupon in claim order", the index it
-- replaces; claims keep one index fewer.
ALTER TABLE claims DROP CONSTRAINT claims_pkey;
ALTER TABLE claims ADD CONSTRAINT claims_pkey PRIMARY KEY (coupon_name, id);
DROP INDEX claims_coupon_order_idx;

-- The sale's rule, judged at a time given to it rather than by now() inside: IMMUTABLE, so it may
-- sit in an UPDATE's condition and a CASE on a distributed table. Callers pass now().
CREATE FUNCTION sale_refusal_at(paused BOOLEAN, starts_at TIMESTAMPTZ, ends_at TIMESTAMPTZ,
                                at TIMESTAMPTZ)
RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN paused THEN 'paused'
                WHEN at < starts_at THEN 'not_started'
                WHEN at >= ends_at THEN 'ended'
           END
$$;
DROP FUNCTION sale_refusal(BOOLEAN, TIMESTAMPTZ, TIMESTAMPTZ);

-- Webhook events are written by the statements that make the change, in its transaction and on
-- its coupon's shard, never by a trigger (a trigger's transition table and its read of the
-- endpoints cannot run on a Citus worker). The dispatchers are woken after the commit by the
-- server, not by a NOTIFY inside the transaction.
DROP TRIGGER claims_webhook_inserted ON claims;
DROP TRIGGER claims_webhook_deleted ON claims;
DROP TRIGGER claims_webhook_redeemed ON claims;
DROP TRIGGER coupons_webhook_changed ON coupons;
DROP FUNCTION webhook_claims_inserted();
DROP FUNCTION webhook_claims_deleted();
DROP FUNCTION webhook_claim_redeemed();
DROP FUNCTION webhook_coupon_changed();
DROP FUNCTION webhook_emit(TEXT, JSONB);

-- Every outbox row names its coupon, and is keyed by it.
UPDATE webhook_outbox SET coupon_name = data -> 0 ->> 'coupon_name' WHERE coupon_name IS NULL;
DELETE FROM webhook_outbox WHERE coupon_name IS NULL;
ALTER TABLE webhook_outbox ALTER COLUMN coupon_name SET NOT NULL;
ALTER TABLE webhook_outbox DROP CONSTRAINT webhook_outbox_pkey;
ALTER TABLE webhook_outbox ADD CONSTRAINT webhook_outbox_pkey PRIMARY KEY (coupon_name, id);

-- Writes one outbox row of `kind` for `coupon` with `items` (a JSON array, one event's data
-- each), when some enabled endpoint subscribes to `kind`.
CREATE FUNCTION webhook_emit(coupon TEXT, kind TEXT, items JSONB) RETURNS BOOLEAN
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT webhook_wanted(kind) THEN
        RETURN false;
    END IF;
    INSERT INTO webhook_outbox (coupon_name, type, data) VALUES (coupon, kind, items);
    RETURN true;
END
$$;

-- A coupon's webhook data (coupon.updated, coupon.sold_out).
CREATE FUNCTION coupon_event(c coupons) RETURNS JSONB LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_array(jsonb_build_object(
        'coupon_name', c.name, 'amount', c.amount, 'remaining_amount', c.remaining_amount,
        'paused', c.paused, 'starts_at', c.starts_at, 'ends_at', c.ends_at))
$$;

-- The events of claims just made: claim.created (one row for all of them), and coupon.sold_out
-- when `after`, the coupon row they left, has no stock. Returns whether an event that wakes the
-- dispatchers was written (coupon.sold_out; claim.created rows are found by polling).
CREATE FUNCTION claims_made(coupon TEXT, users TEXT[], times TIMESTAMPTZ[], after coupons)
RETURNS BOOLEAN LANGUAGE plpgsql AS $$
BEGIN
    IF webhook_wanted('claim.created') THEN
        INSERT INTO webhook_outbox (coupon_name, type, user_ids, claimed_ats)
        VALUES (coupon, 'claim.created', users, times);
    END IF;
    IF after.remaining_amount > 0 THEN
        RETURN false;
    END IF;
    RETURN webhook_emit(coupon, 'coupon.sold_out', coupon_event(after));
END
$$;

-- A batch of claims of one coupon (the batched engine), in one call: lock the coupon row; then,
-- in statements whose snapshots come after the lock (so every claim committed before is
-- seen), find the users of the batch who already hold it, grant the first `remaining` other
-- distinct users in arrival order, insert their claims in that order (so ids are the claim order)
-- and take them off the stock. The claim.created and coupon.sold_out events go to the outbox in
-- the same transaction. (The lock comes first, in a statement of its own: one statement would
-- read the holders in a snapshot taken before it waited for the lock. The statements after it
-- each touch this coupon's shard only: a statement that joined the insert with reads of
-- distributed tables made Citus reach every worker, so a worker down stopped every coupon.)
--
-- remaining: the stock under the lock, NULL when no coupon has the name; refusal: why the sale
-- takes no claims now (nothing was done then); held: users of the batch who held the coupon;
-- granted, granted_at: the claims made, in claim order; wake: an event that wakes the webhook
-- dispatchers was written (coupon.sold_out; claim.created rows are found by polling).
CREATE FUNCTION claim_batch(coupon TEXT, users TEXT[],
                            OUT remaining INTEGER, OUT refusal TEXT, OUT starts_at TIMESTAMPTZ,
                            OUT held TEXT[], OUT granted TEXT[], OUT granted_at TIMESTAMPTZ[],
                            OUT wake BOOLEAN)
LANGUAGE plpgsql AS $$
DECLARE
    at CONSTANT TIMESTAMPTZ := now();
    chosen TEXT[];
    row coupons;
BEGIN
    wake := false;
    held := '{}';
    granted := '{}';
    granted_at := '{}';
    SELECT c.remaining_amount, c.starts_at, sale_refusal_at(c.paused, c.starts_at, c.ends_at, at)
    INTO remaining, starts_at, refusal
    FROM coupons c WHERE c.name = coupon FOR UPDATE;
    IF NOT FOUND OR refusal IS NOT NULL THEN
        RETURN;
    END IF;
    WITH h AS (
        SELECT DISTINCT u.user_id FROM unnest(users) AS u(user_id)
        WHERE EXISTS (SELECT 1 FROM claims c WHERE c.coupon_name = coupon
                      AND (c.user_id COLLATE "C") = u.user_id)
    ), f AS (
        SELECT DISTINCT ON (u.user_id) u.user_id, u.ord
        FROM unnest(users) WITH ORDINALITY AS u(user_id, ord)
        WHERE u.user_id NOT IN (SELECT h.user_id FROM h)
        ORDER BY u.user_id, u.ord
    )
    SELECT ARRAY(SELECT h.user_id FROM h),
           ARRAY(SELECT f.user_id FROM f ORDER BY f.ord LIMIT remaining)
    INTO held, chosen;
    IF cardinality(chosen) = 0 THEN
        RETURN;
    END IF;
    -- The insert reads nothing distributed, so on Citus it stays on this worker.
    WITH inserted AS (
        INSERT INTO claims (user_id, coupon_name)
        SELECT u.user_id, coupon FROM unnest(chosen) WITH ORDINALITY AS u(user_id, ord)
        ORDER BY u.ord
        RETURNING claims.id, claims.user_id, claims.claimed_at
    )
    SELECT array_agg(i.user_id ORDER BY i.id), array_agg(i.claimed_at ORDER BY i.id)
    INTO granted, granted_at FROM inserted i;
    UPDATE coupons c SET remaining_amount = c.remaining_amount - cardinality(granted),
                         version = c.version + 1
    WHERE c.name = coupon RETURNING c.* INTO row;
    wake := claims_made(coupon, granted, granted_at, row);
END
$$;

-- One claim (the per-request engine), in one call: take a unit if there is stock, the sale takes
-- claims by the database's clock and the user holds none (PostgreSQL re-checks these on the
-- newest row version once it holds the row lock, so claims of a coupon queue on that one lock
-- and never act on a stale stock), then insert the claim. A claim by the same user committed
-- while this one waited for the lock makes the insert fail on claims_coupon_user_key, and the
-- whole call rolls back. When it took nothing, the state that refused it is read after it, in a
-- fresh snapshot.
--
-- claimed_at, remaining_after: set when the claim was made. Otherwise known (false: no such
-- coupon), remaining, refusal, starts_at and holds say why not. wake: an event that wakes the
-- webhook dispatchers was written (coupon.sold_out).
CREATE FUNCTION claim_one(coupon TEXT, claimant TEXT,
                          OUT claimed_at TIMESTAMPTZ, OUT remaining_after INTEGER,
                          OUT known BOOLEAN, OUT remaining INTEGER, OUT refusal TEXT,
                          OUT starts_at TIMESTAMPTZ, OUT holds BOOLEAN, OUT wake BOOLEAN)
LANGUAGE plpgsql AS $$
DECLARE
    -- The clock as a value: Citus refuses a STABLE function inside an UPDATE's CASE.
    at CONSTANT TIMESTAMPTZ := now();
    row coupons;
BEGIN
    wake := false;
    UPDATE coupons c SET remaining_amount = c.remaining_amount - 1, version = c.version + 1
    WHERE c.name = coupon AND c.remaining_amount > 0
      AND sale_refusal_at(c.paused, c.starts_at, c.ends_at, at) IS NULL
      AND NOT EXISTS (SELECT 1 FROM claims h WHERE h.coupon_name = coupon
                      AND (h.user_id COLLATE "C") = claimant)
    RETURNING c.* INTO row;
    IF row.name IS NULL THEN
        SELECT true, c.remaining_amount, sale_refusal_at(c.paused, c.starts_at, c.ends_at, at),
               c.starts_at,
               EXISTS (SELECT 1 FROM claims h WHERE h.coupon_name = coupon
                       AND (h.user_id COLLATE "C") = claimant)
        INTO known, remaining, refusal, starts_at, holds
        FROM coupons c WHERE c.name = coupon;
        known := coalesce(known, false);
        RETURN;
    END IF;
    known := true;
    remaining_after := row.remaining_amount;
    INSERT INTO claims (user_id, coupon_name) VALUES (claimant, coupon)
    RETURNING claims.claimed_at INTO claim_one.claimed_at;
    wake := claims_made(coupon, ARRAY[claimant], ARRAY[claim_one.claimed_at], row);
END
$$;

-- The audit log is kept beside the coupons it speaks of: its entries are keyed by their coupon,
-- and those of no coupon (sign-ins, keys, webhook endpoints) by the empty name, which no coupon
-- has. Entries are read in id order (the index below); on Citus the ids come from the
-- coordinator's sequence, which every entry's INSERT (sent from the coordinator) draws from.
UPDATE audit_log SET coupon_name = '' WHERE coupon_name IS NULL;
ALTER TABLE audit_log ALTER COLUMN coupon_name SET NOT NULL;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_pkey;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_pkey PRIMARY KEY (coupon_name, id);
CREATE INDEX audit_log_id_idx ON audit_log (id);

-- On Citus only (where the extension is installed): the layout of docs/scale.md. Coupons and
-- everything a claim writes in its transaction are distributed by the coupon's name and
-- co-located; the functions above run whole on the coupon's worker.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    -- "A claim names an existing coupon" is a foreign key here, checked on the coupon's shard:
    -- the statement triggers that keep it on plain PostgreSQL read another table, which no
    -- trigger on a shard may. Citus refuses to change a distribution column, so names stay.
    DROP TRIGGER claims_name_existing_coupons ON claims;
    DROP TRIGGER claims_name_existing_coupons_on_update ON claims;
    DROP TRIGGER coupons_are_permanent ON coupons;
    DROP TRIGGER coupons_keep_their_name ON coupons;
    PERFORM create_reference_table('api_keys');
    PERFORM create_reference_table('webhook_endpoints');
    PERFORM create_distributed_table('coupons', 'name');
    PERFORM create_distributed_table('claims', 'coupon_name', colocate_with => 'coupons');
    ALTER TABLE claims ADD CONSTRAINT claims_name_existing_coupons
        FOREIGN KEY (coupon_name) REFERENCES coupons (name);
    PERFORM create_distributed_table('webhook_outbox', 'coupon_name', colocate_with => 'coupons');
    PERFORM create_distributed_table('audit_log', 'coupon_name', colocate_with => 'coupons');
    PERFORM create_distributed_table('idempotency_keys', 'key', colocate_with => 'none');
    -- The functions the calls below run on the workers.
    PERFORM create_distributed_function('sale_refusal_at(boolean, timestamptz, timestamptz, timestamptz)');
    PERFORM create_distributed_function('webhook_wanted(text)');
    PERFORM create_distributed_function('webhook_emit(text, text, jsonb)');
    PERFORM create_distributed_function('coupon_event(coupons)');
    PERFORM create_distributed_function('claims_made(text, text[], timestamptz[], coupons)');
    PERFORM create_distributed_function('claim_batch(text, text[])', '$1',
                                        colocate_with => 'coupons');
    PERFORM create_distributed_function('claim_one(text, text)', '$1',
                                        colocate_with => 'coupons');
END
$$;
