//! One module per page.

mod audit;
mod claimers;
mod coupon;
mod coupon_form;
mod docs;
mod draw;
mod home;
mod keys;
mod not_found;
mod release;
mod sale;
mod signin;
mod webhook_log;
mod webhooks;

pub use audit::AuditLogPage;
pub use coupon::CouponPage;
pub use docs::ApiDocsPage;
pub use home::HomePage;
pub use keys::ApiKeysPage;
pub use not_found::NotFound;
pub use signin::SignInPage;
pub use webhook_log::WebhookLogPage;
pub use webhooks::WebhooksPage;
