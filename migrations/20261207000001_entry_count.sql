-- A draw coupon's entries, counted on its row: the live stock read and stream show them
-- (docs/api.md, "Stock"), and every batch that enters someone bumps the row's `version`, the
-- change counter that the live hub, the stock's ETag and the streams' event ids follow. Counting
-- the entries' rows instead would cost a scan of a million index entries on every live refresh
-- of a big draw.
--
-- enter_batch now locks the coupon row FOR NO KEY UPDATE (it was FOR SHARE): two batches that
-- both held a share lock and then both updated the row would deadlock. Batches of one coupon so
-- take turns on its row, as claim batches always did; the pause, the window's change and the
-- draw still wait for a batch and it for them. It checks who has an entry with a probe per
-- user instead of ON CONFLICT (below). Its outputs are those of 20261206000005.

-- On Citus, the commands on shards run one connection per worker (a change of a distributed
-- table in parallel would stop the function commands below); elsewhere a setting of no effect.
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';

-- (In a DO block, as each command on a distributed table: Citus sends it to the workers as the
-- text of the whole query, which in a migration of many statements fails.)
DO $$
DECLARE
    draw TEXT;
BEGIN
    ALTER TABLE coupons ADD COLUMN entry_count BIGINT NOT NULL DEFAULT 0;
    ALTER TABLE coupons ADD CONSTRAINT coupons_entry_count_not_negative CHECK (entry_count >= 0);
    -- One coupon per statement: each names its coupon, so on Citus each runs on one shard.
    FOR draw IN SELECT name FROM coupons WHERE allocation = 'draw' LOOP
        UPDATE coupons
        SET entry_count = (SELECT count(*) FROM entries e WHERE e.coupon_name = draw)
        WHERE name = draw;
    END LOOP;
END
$$;

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
    SELECT * INTO c FROM coupons WHERE name = coupon FOR NO KEY UPDATE;
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
    -- Each user's first entry, unless they have one: a probe per user (LATERAL ... LIMIT 1, as
    -- claim_batch's holder check), then a plain insert. The row lock above makes the batches of
    -- this coupon take turns, and this statement, begun after it, sees every entry committed
    -- before, so the probe is the whole check; the unique constraint stays as the guard.
    -- (Measured: ON CONFLICT DO NOTHING, a speculative insertion per row, cost PostgreSQL about
    -- a quarter more CPU per entry than a claim costs.)
    FOR entry IN
        INSERT INTO entries (coupon_name, id, user_id, entered_at) OVERRIDING SYSTEM VALUE
        SELECT f.coupon_name, f.id, f.user_id, at FROM (
            SELECT DISTINCT ON (u.user_id) k.name AS coupon_name, u.id, u.user_id, u.ord
            FROM coupons k
            CROSS JOIN unnest(users, ids) WITH ORDINALITY AS u(user_id, id, ord)
            LEFT JOIN LATERAL (SELECT 1 AS one FROM entries e
                               WHERE e.coupon_name = coupon AND e.user_id = u.user_id
                               LIMIT 1) AS has ON true
            WHERE k.name = coupon AND has.one IS NULL
            ORDER BY u.user_id, u.ord) f
        ORDER BY f.ord
        RETURNING entries.user_id
    LOOP
        entered := entered || entry.user_id;
    END LOOP;
    IF cardinality(entered) > 0 THEN
        UPDATE coupons k SET entry_count = k.entry_count + cardinality(entered),
                             version = k.version + 1
        WHERE k.name = coupon;
    END IF;
END
$$;
