// Through its parent's re-export: still `x`.
pub struct Y(pub Option<Box<crate::d::x::X>>);
