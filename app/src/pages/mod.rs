//! One module per page.

mod claimers;
mod coupon;
mod coupon_form;
mod home;
mod not_found;
mod signin;

pub use coupon::CouponPage;
pub use home::HomePage;
pub use not_found::NotFound;
pub use signin::SignInPage;
