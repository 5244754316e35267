use super::y::Y;
pub struct X(pub Option<Box<Y>>);
