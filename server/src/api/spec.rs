//! The OpenAPI 3.1 document of the JSON API, generated from the handlers' `#[utoipa::path]`
//! attributes and the shared types' `ToSchema` derives: `api::routes` registers each handler
//! once, for the router and for this document, so neither can list a route the other lacks.
//! Served at `GET /api/openapi.json` and rendered by the admin UI's `/docs` page.

use std::collections::BTreeMap;

use app::contract::api_types::ErrorBody;
use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use utoipa::{
    IntoResponses, OpenApi, ToSchema,
    openapi::{
        self, ContentBuilder, HeaderBuilder, Ref, RefOr, ResponseBuilder,
        schema::{ObjectBuilder, Type},
    },
};

use super::spec_auth::SecuritySchemes;
use crate::state::ApiSpec;

/// The document's frame; the paths come from `api::routes`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Coupons API",
        description = "Flash-sale coupons: shoppers' clients claim, admins create and run \
            sales. Every error is `{\"error\": sentence, \"code\": stable_code}`. Admin calls \
            take `Authorization: Bearer <ADMIN_TOKEN>`, an API key with the scope the operation \
            names, or the admin UI's session cookie; with no admin password set, the admin is \
            open. Claims take what CLAIM_AUTH allows: nothing (`open`, the default), an API key \
            with the `claim` scope, or a shopper token whose subject is the user.",
        license(name = "MIT")
    ),
    modifiers(&SecuritySchemes),
    components(schemas(ErrorBody)),
    tags(
        (name = "claims", description = "Shoppers' clients: claim and read coupons (public)"),
        (name = "admin", description = "Create and run sales, claimers, audit log (admin)"),
        (name = "live", description = "Server-sent events of stock (admin)"),
        (name = "webhooks", description = "Signed event deliveries to the shop's endpoints (admin)"),
        (name = "operations", description = "Health, readiness, metrics and this document"),
    )
)]
pub struct ApiDoc;

/// One server-sent event of the live streams (`text/event-stream`): `data` is the JSON of the
/// event's type (see docs/architecture.md, "Live stock").
#[derive(ToSchema)]
pub struct ServerSentEvent {
    /// `snapshot`, `stock`, `claims` or `sold_out`.
    pub event: String,
    /// The coupon state's version; send it back as `Last-Event-ID` to resume.
    pub id: Option<String>,
    pub data: String,
}

/// `GET /api/openapi.json`: this API's OpenAPI 3.1 document (public).
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "openapi_document",
    tag = "operations",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object), Busy)
)]
pub async fn document(State(spec): State<ApiSpec>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        spec.0.to_string(),
    )
        .into_response()
}

type Responses = BTreeMap<String, RefOr<openapi::response::Response>>;

/// One error answer with the error JSON.
fn error(status: &str, description: &str, retry_after: bool) -> (String, RefOr<openapi::Response>) {
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name(ErrorBody::name())))
        .build();
    let mut response = ResponseBuilder::new()
        .description(description)
        .content("application/json", content);
    if retry_after {
        let seconds = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0));
        let header = HeaderBuilder::new()
            .schema(Some(seconds))
            .description(Some("Seconds to wait before retrying"))
            .build();
        response = response.header("Retry-After", header);
    }
    (status.to_owned(), RefOr::T(response.build()))
}

/// The path parameter of the routes of one coupon.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // a description for the document; handlers read the path with `ApiPath`
pub struct CouponName {
    /// The coupon's name (1 to 255 characters, no control characters), percent-encoded
    name: String,
}

/// The path parameters of the routes of one user's claim of one coupon.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // a description for the document; handlers read the path with `ApiPath`
pub struct ClaimOf {
    /// The coupon's name, percent-encoded
    name: String,
    /// The claimer's user id, percent-encoded
    user_id: String,
}

/// Routes of one coupon: `404` when no coupon has the name.
pub struct CouponNotFound;

impl IntoResponses for CouponNotFound {
    fn responses() -> Responses {
        [error("404", "`coupon_not_found`", false)].into()
    }
}

/// Any route: `503` when the server is busy (`unavailable`: no database connection in time;
/// `timeout`: no answer within REQUEST_TIMEOUT_MS), with `Retry-After`.
pub struct Busy;

impl IntoResponses for Busy {
    fn responses() -> Responses {
        [error(
            "503",
            "`unavailable` or `timeout`: retry after `Retry-After` seconds",
            true,
        )]
        .into()
    }
}

/// Streams: `503` when this process already has LIVE_MAX_SUBSCRIBERS streams open
/// (`too_many_subscribers`) or is busy, with `Retry-After`.
pub struct StreamFull;

impl IntoResponses for StreamFull {
    fn responses() -> Responses {
        [error(
            "503",
            "`too_many_subscribers`, `unavailable` or `timeout`: retry after `Retry-After` seconds",
            true,
        )]
        .into()
    }
}

/// Admin routes: no or a wrong credential, and the lockout after too many wrong ones.
pub struct AdminOnly;

impl IntoResponses for AdminOnly {
    fn responses() -> Responses {
        [
            error(
                "401",
                "`unauthorized`: sign in or send the bearer token; `invalid_key`: an unknown or \
                 revoked API key",
                false,
            ),
            error(
                "403",
                "`insufficient_scope` (with `scope`): the API key lacks the scope this needs",
                false,
            ),
            error(
                "429",
                "`rate_limited`: too many wrong credentials from this address",
                true,
            ),
        ]
        .into()
    }
}

/// Routes with a JSON body: malformed, too large, or not JSON.
pub struct JsonBody;

impl IntoResponses for JsonBody {
    fn responses() -> Responses {
        [
            error(
                "400",
                "`invalid_request`: malformed JSON, a wrong field, or a broken rule",
                false,
            ),
            error(
                "413",
                "`payload_too_large`: the body is over MAX_BODY_BYTES",
                false,
            ),
            error(
                "415",
                "`unsupported_media_type`: the body is not `application/json`",
                false,
            ),
        ]
        .into()
    }
}

/// Routes with a name or user id in the path or a query: `400` when one breaks the rules.
pub struct BadInput;

impl IntoResponses for BadInput {
    fn responses() -> Responses {
        [error(
            "400",
            "`invalid_request`: a path segment or query parameter breaks the rules",
            false,
        )]
        .into()
    }
}
