-- The holder check of claim_batch probes the claims index once per user again, as the statement
-- before 20261206000001 did. Written there as `WHERE EXISTS (SELECT 1 FROM claims ...)`, the
-- planner turned it into a join and, planned while `claims` looked small (a fresh database,
-- statistics not yet caught up with a sale), into a hash join over a sequential scan of the
-- claims; the session kept that plan while the coupon grew by thousands of claims a second, and
-- its server claimed at a quarter of the speed (that statement: 4,111 µs per call against 200).
-- A LATERAL subquery with LIMIT is never flattened into a join: it stays a probe per user.
-- The body is otherwise that of 20261206000001.

CREATE OR REPLACE FUNCTION claim_batch(coupon TEXT, users TEXT[],
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
        CROSS JOIN LATERAL (SELECT 1 FROM claims c WHERE c.coupon_name = coupon
                            AND (c.user_id COLLATE "C") = u.user_id LIMIT 1) AS holds
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
