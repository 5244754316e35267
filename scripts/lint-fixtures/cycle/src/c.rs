// A leaf; a doc link upward is not an import:
/// See [`crate::a`].
pub struct C;
