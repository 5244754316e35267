//! The draw of a `draw` coupon (docs/draw.md): the ranking of its entries by a seed committed
//! before the first entry ([`ticket`]), the proof anyone can check ([`proof`]), running a draw
//! exactly once across processes ([`run`]), and the fairness check of that ranking (`fairness`,
//! tests only).

#[cfg(test)]
mod fairness;
pub mod proof;
pub mod published;
pub mod run;
pub mod schedule;
pub mod ticket;
