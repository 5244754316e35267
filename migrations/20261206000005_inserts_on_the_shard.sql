-- claim_batch (and enter_batch, below) insert in one statement that Citus hands whole to the coupon's shard,
-- and checks the holders inside it. Before, the insert read its rows from unnest() alone; Citus
-- could not push that down (the identity column's nextval and clock_timestamp() are volatile,
-- and no co-located table was read), so on a worker it wrote the rows to an intermediate result
-- file, copied them in, and read the RETURNING rows back through a second file. Now:
--   * the ids and times come first, from one statement that reads no table (the identity's
--     sequence, taken in the batch's order, so ids are still the claim order; a value left over
--     by a holder or a duplicate is a gap, as a rolled-back insert leaves);
--   * the insert reads them with the coupon's row, so it is an INSERT ... SELECT on one shard,
--     which Citus pushes down as one local statement; the holder probe (LATERAL ... LIMIT 1, a
--     probe per user, never a join: 20261206000004) sits in it, so the statement after the lock
--     sees every claim committed before;
--   * the holders are read only when some user of the batch got nothing.
-- Measured with pgbench (16 clients, durable, 16 coupons, calls of 50 users and of one):
-- docs/benchmark.md. Outputs and their meaning are those of 20261206000001.

CREATE OR REPLACE FUNCTION claim_batch(coupon TEXT, users TEXT[],
                            OUT remaining INTEGER, OUT refusal TEXT, OUT starts_at TIMESTAMPTZ,
                            OUT held TEXT[], OUT granted TEXT[], OUT granted_at TIMESTAMPTZ[],
                            OUT wake BOOLEAN)
LANGUAGE plpgsql AS $$
DECLARE
    at CONSTANT TIMESTAMPTZ := now();
    ids BIGINT[];
    times TIMESTAMPTZ[];
    claim RECORD;
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
    IF remaining > 0 THEN
        SELECT array_agg(nextval('claims_id_seq')), array_agg(clock_timestamp())
        INTO ids, times FROM unnest(users);
        -- The first `remaining` distinct users who hold no claim, in arrival order; the rows
        -- come back in that order, which is also the order of their ids.
        FOR claim IN
            INSERT INTO claims (id, user_id, coupon_name, claimed_at) OVERRIDING SYSTEM VALUE
            SELECT f.id, f.user_id, f.coupon_name, f.at FROM (
                SELECT DISTINCT ON (u.user_id) u.id, u.user_id, c.name AS coupon_name, u.at, u.ord
                FROM coupons c
                CROSS JOIN unnest(users, ids, times) WITH ORDINALITY AS u(user_id, id, at, ord)
                LEFT JOIN LATERAL (SELECT 1 AS one FROM claims k WHERE k.coupon_name = coupon
                                   AND (k.user_id COLLATE "C") = u.user_id LIMIT 1) AS holds
                       ON true
                WHERE c.name = coupon AND holds.one IS NULL
                ORDER BY u.user_id, u.ord) f
            ORDER BY f.ord LIMIT remaining
            RETURNING claims.user_id, claims.claimed_at
        LOOP
            granted := granted || claim.user_id;
            granted_at := granted_at || claim.claimed_at;
        END LOOP;
    END IF;
    IF cardinality(granted) < cardinality(users) THEN
        SELECT coalesce(array_agg(DISTINCT k.user_id), '{}') INTO held
        FROM claims k WHERE k.coupon_name = coupon AND (k.user_id COLLATE "C") = ANY (users)
          AND (k.user_id COLLATE "C") <> ALL (granted);
    END IF;
    IF cardinality(granted) = 0 THEN
        RETURN;
    END IF;
    UPDATE coupons c SET remaining_amount = c.remaining_amount - cardinality(granted),
                         version = c.version + 1
    WHERE c.name = coupon RETURNING c.* INTO row;
    wake := claims_made(coupon, granted, granted_at, row);
END
$$;

-- enter_batch the same way: ids first, then one INSERT ... SELECT with the coupon's row that
-- Citus pushes down whole (it wrote intermediate result files as claim_batch did). Its outputs
-- are those of 20261206000003.
CREATE OR REPLACE FUNCTION enter_batch(coupon TEXT, users TEXT[],
                            OUT known BOOLEAN, OUT refusal TEXT, OUT starts_at TIMESTAMPTZ,
                            OUT draw_at TIMESTAMPTZ, OUT entered TEXT[],
                            OUT entered_at TIMESTAMPTZ)
LANGUAGE plpgsql AS $$
DECLARE
    at CONSTANT TIMESTAMPTZ := now();
    ids BIGINT[];
    entry RECORD;
    c coupons;
BEGIN
    entered := '{}';
    entered_at := at;
    SELECT * INTO c FROM coupons WHERE name = coupon FOR SHARE;
    known := FOUND;
    IF NOT known THEN
        RETURN;
    END IF;
    starts_at := c.starts_at;
    draw_at := c.draw_at;
    IF c.allocation <> 'draw' THEN
        refusal := 'first_come';
        RETURN;
    END IF;
    refusal := sale_refusal_at(c.paused, c.starts_at, c.ends_at, at);
    IF refusal IS NOT NULL THEN
        RETURN;
    END IF;
    SELECT array_agg(nextval('entries_id_seq')) INTO ids FROM unnest(users);
    FOR entry IN
        INSERT INTO entries (coupon_name, id, user_id, entered_at) OVERRIDING SYSTEM VALUE
        SELECT k.name, u.id, u.user_id, at
        FROM coupons k CROSS JOIN unnest(users, ids) WITH ORDINALITY AS u(user_id, id, ord)
        WHERE k.name = coupon
        ORDER BY u.ord
        ON CONFLICT ON CONSTRAINT entries_coupon_user_key DO NOTHING
        RETURNING entries.user_id
    LOOP
        entered := entered || entry.user_id;
    END LOOP;
END
$$;
