-- Admin search of a coupon's claimers by user_id prefix ("u12" finds u12, u120, u1234, ...).
--
-- The cluster's collation is C.UTF-8, which PostgreSQL does not treat as "C" for LIKE 'x%'
-- index scans, and a LIKE with a bind parameter cannot use a prefix index in a generic plan
-- anyway. So the query (server/src/db/claimers.rs) asks for a range instead:
--   user_id COLLATE "C" >= prefix AND user_id COLLATE "C" < next_prefix
-- and this index, in the same "C" (byte = code point) order, answers it for one coupon.
-- The existing UNIQUE (user_id, coupon_name) index leads with user_id, so it cannot serve
-- "claims of this coupon" ranges.
CREATE INDEX claims_coupon_user_prefix_idx ON claims (coupon_name, (user_id COLLATE "C"));
