-- One index for "which users hold this coupon", where there were two. Every claim inserts into
-- every index of claims, so each one costs the hot path (measured: about 3.5 µs of PostgreSQL per
-- claim, README "Benchmark").
--
-- UNIQUE (user_id, coupon_name) and the prefix index on (coupon_name, user_id COLLATE "C") become
-- one unique index on (coupon_name, user_id COLLATE "C"). The uniqueness is the same: both the
-- cluster's collation and "C" are deterministic, so two user ids are equal under one exactly when
-- their bytes are equal, as under the other. The index serves the one-claim-per-user rule, the
-- engines' "does this user hold the coupon" probes, the release, and the admin's prefix search
-- (server/src/db/claimers.rs). Queries must compare `(user_id COLLATE "C")` to use it.
-- Comparisons in "C" are also byte comparisons, cheaper than the cluster collation's strcoll.
CREATE UNIQUE INDEX claims_coupon_user_key ON claims (coupon_name, (user_id COLLATE "C"));
ALTER TABLE claims DROP CONSTRAINT claims_user_coupon_key;
DROP INDEX claims_coupon_user_prefix_idx;
