// A fixture for scripts/check-cycles.py: `a` and `b` import each other (the check must fail).
use crate::b::B;
pub struct A(pub B);
