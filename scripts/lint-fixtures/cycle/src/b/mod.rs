// `crate::{a, ...}` across lines, as rustfmt writes groups.
use crate::{
    a::A,
    c,
};
pub struct B(pub Option<Box<A>>, c::C);
