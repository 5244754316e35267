-- No statistics for the coupon name of claims, entries and ranked tickets: the planner then
-- estimates `coupon_name = <a name>` at its default share of the table (0.5 %), never at one row.
--
-- With statistics, every coupon of the last ANALYZE sits in the most-common-values list, and a
-- coupon newer than that (today's sale) is estimated at one claim, however many it has by now.
-- Then a lookup of one user's claim, `coupon_name = $1 AND user_id = $2`, costs the same through
-- claims_pkey (coupon_name, id) as through claims_coupon_user_key (coupon_name, user_id), and
-- the planner may take the primary key and filter the user: one probe reads every claim of the
-- coupon. In claim_batch's holder probe, a PL/pgSQL custom plan for each call, that made a
-- server claim a new hot coupon at 1,030-1,273/s instead of 11,000-17,000 (make bench, one node,
-- 256 connections, after older coupons held 1.5 million claims; 3 of 3 reproductions slow, 0 of
-- 2 with this change). Without the name's statistics, a lookup through the primary key is
-- estimated at 0.5 % of the table and the unique index wins whatever the coupon's age. Nothing
-- asks for a coupon's share of the table: the name is always an equality on an index prefix.
--
-- On Citus the planning happens on each shard, whose statistics are its own, and Citus refuses
-- the command on a distributed table: it runs on every shard placement instead (a shard made
-- later by a split does not inherit it; docs/scale.md).
--
-- ANALYZE no longer gathers them, but does not remove those it gathered before. Only a
-- superuser may remove them; a database migrated by another role keeps them until a superuser
-- runs the DELETE below (docs/architecture.md).
DO $$
DECLARE
    t TEXT;
    super CONSTANT BOOLEAN := (SELECT rolsuper FROM pg_roles WHERE rolname = current_user);
    citus CONSTANT BOOLEAN := EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus');
    forget CONSTANT TEXT := 'DELETE FROM pg_statistic s USING pg_attribute a '
        'WHERE s.starelid = a.attrelid AND s.staattnum = a.attnum '
        'AND a.attname = ''coupon_name'' AND a.attrelid = ''%s''::regclass';
BEGIN
    FOREACH t IN ARRAY ARRAY['claims', 'entries', 'draw_tickets'] LOOP
        IF citus THEN
            PERFORM run_command_on_shards(t,
                'ALTER TABLE %s ALTER COLUMN coupon_name SET STATISTICS 0');
            IF super THEN
                PERFORM run_command_on_shards(t, forget);
            END IF;
        ELSE
            EXECUTE format('ALTER TABLE %I ALTER COLUMN coupon_name SET STATISTICS 0', t);
            IF super THEN
                EXECUTE format(forget, t);
            END IF;
        END IF;
    END LOOP;
END
$$;
