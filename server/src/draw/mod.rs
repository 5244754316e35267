//! The draw of a `draw` coupon (docs/draw.md): the ranking of its entries by a seed committed
//! before the first entry ([`ticket`]), the proof anyone can check ([`proof`]), and the fairness
//! check of that ranking (`fairness`, tests only).

#[cfg(test)]
mod fairness;
pub mod proof;
pub mod ticket;
