-- Redemption: the shop's checkout spends a claim, once. NULL: not redeemed. A nullable column
-- without a default is a catalog change only (no table rewrite), and a claim's insert writes
-- nothing more.
ALTER TABLE claims ADD COLUMN redeemed_at TIMESTAMPTZ;

-- The coupon page's redeemed count. Partial: a claim row (redeemed_at NULL) is not in it, so
-- claims pay nothing for it; a redemption adds one entry.
CREATE INDEX claims_redeemed_idx ON claims (coupon_name) WHERE redeemed_at IS NOT NULL;
