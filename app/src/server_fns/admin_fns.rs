//! The admin UI's server functions: private calls of the pages, guarded like every admin route.

use leptos::prelude::*;
use leptos::server_fn::{codec::JsonEncoding, error::FromServerFnError, error::ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::contract::admin_types::{AdminStatus, ClaimersPage, CouponPage};
use crate::contract::api_types::CouponSummary;
#[cfg(feature = "ssr")]
use crate::contract::errors::answer;
use crate::contract::errors::{HttpStatus, LoadError, decoded_or};

/// Why the "New coupon" form was refused, by field, so the page shows each message next to it.
/// Travels to the page as JSON, also in the URL when the form was posted without JavaScript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum CreateCouponError {
    #[error("the input breaks the rules")]
    Invalid {
        name: Option<String>,
        amount: Option<String>,
    },
    /// A draw's settings break the rules (its entries' close is missing or unreadable).
    #[error("{0}")]
    InvalidDraw(String),
    #[error("a coupon with this name already exists")]
    NameTaken,
    /// The request itself was malformed (not sent by this form).
    #[error("the form was incomplete")]
    BadRequest,
    /// The database is busy.
    #[error("{0}")]
    Busy(String),
    #[error("{0}")]
    Failed(String),
}

impl HttpStatus for CreateCouponError {
    fn status(&self) -> u16 {
        match self {
            Self::Invalid { .. } | Self::InvalidDraw(_) | Self::BadRequest => 400,
            Self::NameTaken => 409,
            Self::Busy(_) => 503,
            Self::Failed(_) => 500,
        }
    }
}

impl From<LoadError> for CreateCouponError {
    fn from(error: LoadError) -> Self {
        match error {
            LoadError::BadRequest(_) => Self::BadRequest,
            LoadError::Busy(s) => Self::Busy(s),
            LoadError::Failed(s) => Self::Failed(s),
        }
    }
}

impl FromServerFnError for CreateCouponError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        // Transport failures: a sentence for people, without internals.
        decoded_or(
            value,
            |_| Self::BadRequest,
            || Self::Failed("The coupon could not be created. Try again in a moment.".to_owned()),
        )
    }
}

/// Who is looking: set on the request by the server's admin guard.
#[server(prefix = "/rpc", endpoint = "admin_status")]
pub async fn get_admin_status() -> Result<AdminStatus, LoadError> {
    let parts = use_context::<http::request::Parts>();
    Ok(parts
        .and_then(|p| p.extensions.get::<AdminStatus>().copied())
        .unwrap_or_default())
}

/// Page `page` (1-based) of the coupons, newest first.
#[server(prefix = "/rpc", endpoint = "coupon_page")]
pub async fn load_coupon_page(page: u32) -> Result<CouponPage, LoadError> {
    answer(
        async {
            Ok::<_, LoadError>(
                crate::server_fns::backend::admitted()?
                    .coupon_page(page)
                    .await?,
            )
        }
        .await,
    )
}

/// Creates a coupon from the form's text fields, by the same rules as `POST /api/coupons`: a
/// `first_come` sale, or with `allocation` `draw` a draw whose entries close at `ends_at`.
#[server(prefix = "/rpc", endpoint = "create_coupon")]
pub async fn create_coupon(
    name: String,
    amount: String,
    allocation: Option<String>,
    ends_at: Option<String>,
) -> Result<String, CreateCouponError> {
    use crate::server_fns::backend::Created;
    let created = async {
        let amount = ssr::checked(&name, &amount)?;
        let draw = ssr::draw_close(allocation.as_deref(), ends_at.as_deref())?;
        let backend = crate::server_fns::backend::admitted()?;
        let actor = crate::server_fns::backend::actor();
        match backend.create_coupon(&actor, &name, amount, draw).await {
            Ok(Created::Coupon(c)) => Ok(c.name),
            Ok(Created::NameTaken) => Err(CreateCouponError::NameTaken),
            Err(failure) => Err(LoadError::from(failure).into()),
        }
    };
    answer(created.await)
}

/// The coupon named `name`, if any.
#[server(prefix = "/rpc", endpoint = "find_coupon")]
pub async fn find_coupon(name: String) -> Result<Option<CouponSummary>, LoadError> {
    let found = async {
        crate::server_fns::backend::lookup(&name)?;
        Ok::<_, LoadError>(
            crate::server_fns::backend::admitted()?
                .find_coupon(&name)
                .await?,
        )
    };
    answer(found.await)
}

/// A page of claimers of `name` (50), after cursor `after`, optionally by user id prefix.
#[server(prefix = "/rpc", endpoint = "claimers_page")]
pub async fn load_claimers(
    name: String,
    after: Option<i64>,
    prefix: Option<String>,
) -> Result<ClaimersPage, LoadError> {
    let query = crate::contract::admin_types::ClaimersQuery {
        after,
        limit: Some(crate::contract::admin_types::DEFAULT_CLAIMERS_LIMIT),
        prefix,
    };
    let page = async {
        crate::server_fns::backend::lookup(&name)?;
        let (after, limit, prefix) = query.checked().map_err(LoadError::BadRequest)?;
        let backend = crate::server_fns::backend::admitted()?;
        Ok::<_, LoadError>(backend.claimers(&name, after, limit, prefix).await?)
    };
    answer(page.await)
}

#[cfg(feature = "ssr")]
mod ssr {
    use validator::Validate;

    use super::CreateCouponError;
    use crate::{contract::api_types::NewCoupon, contract::validation::message_of};

    /// When a draw's entries close (`allocation` `draw`, `ends_at` as typed in the form); `None`
    /// for a first come sale.
    pub fn draw_close(
        allocation: Option<&str>,
        ends_at: Option<&str>,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, CreateCouponError> {
        match allocation.unwrap_or("first_come") {
            "first_come" => Ok(None),
            "draw" => match crate::contract::sale::parse_instant(ends_at.unwrap_or_default()) {
                Ok(Some(at)) => Ok(Some(at)),
                Ok(None) => Err(CreateCouponError::InvalidDraw(
                    "A draw needs the time its entries close.".to_owned(),
                )),
                Err(why) => Err(CreateCouponError::InvalidDraw(why)),
            },
            _ => Err(CreateCouponError::BadRequest),
        }
    }

    /// The API's rules for a name and an amount typed as text; the amount as stored.
    pub fn checked(name: &str, amount: &str) -> Result<i32, CreateCouponError> {
        let parsed = amount.trim().parse::<i64>();
        let coupon = NewCoupon {
            name: name.to_owned(),
            amount: *parsed.as_ref().unwrap_or(&1),
            starts_at: None,
            ends_at: None,
            allocation: Default::default(),
            draw_at: None,
            beacon_required: false,
            redeem_within: None,
        };
        let errors = coupon.validate().err();
        let field = |f: &str| {
            errors.as_ref().and_then(|e| {
                e.field_errors()
                    .get(f)
                    .and_then(|l| l.first())
                    .map(message_of)
            })
        };
        let name_error = field("name").map(|m| format!("Name {m}."));
        let amount_error = match parsed {
            Err(_) => Some("Amount must be an integer from 1 to 2147483647.".to_owned()),
            Ok(_) => field("amount").map(|m| format!("Amount {m}.")),
        };
        if name_error.is_some() || amount_error.is_some() {
            return Err(CreateCouponError::Invalid {
                name: name_error,
                amount: amount_error,
            });
        }
        i32::try_from(coupon.amount).map_err(|_| CreateCouponError::Invalid {
            name: None,
            amount: Some("Amount must be an integer from 1 to 2147483647.".to_owned()),
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn fields(name: &str, amount: &str) -> (Option<String>, Option<String>) {
            match checked(name, amount) {
                Err(CreateCouponError::Invalid { name, amount }) => (name, amount),
                other => panic!("{other:?}"),
            }
        }

        #[test]
        fn valid_input_passes() {
            assert_eq!(checked("PROMO", "100"), Ok(100));
            assert_eq!(checked("🎉 SALE", " 2147483647 "), Ok(i32::MAX));
        }

        #[test]
        fn each_field_gets_its_message() {
            let (n, a) = fields("", "0");
            assert!(n.unwrap().starts_with("Name must be 1 to 255"));
            assert!(a.unwrap().contains("from 1 to 2147483647"));
            let (n, a) = fields("ok", "abc");
            assert_eq!(n, None);
            assert!(a.unwrap().contains("integer"));
            let (n, a) = fields("bad\u{7}name", "5");
            assert!(n.unwrap().contains("control characters"));
            assert_eq!(a, None);
            let (_, a) = fields("ok", "2147483648");
            assert!(a.unwrap().contains("from 1 to 2147483647"));
        }
    }
}
