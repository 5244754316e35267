//! The OpenAPI document against the running router: the same routes, the same methods, the
//! same auth rule. Schemathesis (make test) then checks the answers against it.

use crate::common;

use std::collections::BTreeSet;

use axum::http::Method;
use serde_json::Value;
use server::http::policy;
use sqlx::PgPool;

const METHODS: [&str; 5] = ["GET", "POST", "PATCH", "DELETE", "PUT"];

/// The routes a program calls: the JSON API and the operations routes. Pages, server
/// functions, sign-in forms and static files are the UI's, not the API's.
fn is_api_route(pattern: &str) -> bool {
    (pattern.starts_with("/api/") && !pattern.contains("{*"))
        || ["/health", "/health/ready", "/metrics"].contains(&pattern)
}

/// A path for the pattern, with every parameter filled.
fn concrete(pattern: &str) -> String {
    pattern
        .replace("{name}", "probe-coupon")
        .replace("{user_id}", "probe-user")
}

async fn document(app: &common::TestApp) -> Value {
    let response = app.fetch("/api/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().await.unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_document_lists_exactly_the_routes_of_the_router(pool: PgPool) {
    let app = common::spawn(&pool).await;
    let doc = document(&app).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let in_doc: BTreeSet<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    let in_router: BTreeSet<String> = app
        .routes
        .iter()
        .filter(|p| is_api_route(p))
        .cloned()
        .collect();
    assert_eq!(
        in_router.difference(&in_doc).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "routes missing from the document"
    );
    assert_eq!(
        in_doc.difference(&in_router).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "documented paths the router does not serve"
    );

    // Each path answers exactly the documented methods: any other gets 405.
    for (path, item) in doc["paths"].as_object().unwrap() {
        let url = format!("{}{}", app.base, concrete(path));
        for method in METHODS {
            let documented = item.get(method.to_lowercase()).is_some();
            if documented {
                continue; // answered by the handler; schemathesis checks those answers
            }
            let status = app
                .http
                .request(method.parse().unwrap(), &url)
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(
                status, 405,
                "{method} {path} is not documented but answered {status}"
            );
        }
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn every_operation_states_its_auth_answers_and_errors(pool: PgPool) {
    let app = common::spawn_with(&pool, |c| c.admin_password = Some("doc-pass".into())).await;
    // Public, even when the server has an admin password.
    let doc = document(&app).await;
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "coupons_admin");
    assert_eq!(schemes["api_key"]["scheme"], "bearer");
    assert_eq!(schemes["shopper_token"]["bearerFormat"], "JWT");
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let name = format!("{method} {path}");
            let public = policy::is_public(&method.to_uppercase().parse::<Method>().unwrap(), path);
            let security = op["security"].as_array().expect(&name);
            let admin_schemes: BTreeSet<String> = security
                .iter()
                .flat_map(|s| s.as_object().unwrap().keys().cloned())
                .collect();
            let method = method.to_uppercase().parse::<Method>().unwrap();
            if policy::is_claim(&method, path) {
                let expected =
                    serde_json::json!([{}, {"api_key": ["claim"]}, {"shopper_token": []}]);
                assert_eq!(
                    op["security"], expected,
                    "{name}: open, a claim key or a token"
                );
            } else if public {
                assert_eq!(security, &vec![serde_json::json!({})], "{name} is public");
            } else {
                let mut expected: BTreeSet<String> =
                    ["bearer", "session", "api_key"].map(String::from).into();
                if policy::is_entry_read(&method, path) {
                    expected.insert("shopper_token".to_owned());
                }
                assert_eq!(admin_schemes, expected, "{name} is an admin route");
                for scope in policy::scopes_accepted(&method, path) {
                    let scope = scope.as_str();
                    assert!(
                        security.contains(&serde_json::json!({"api_key": [scope]})),
                        "{name} takes a key with {scope}: {security:?}"
                    );
                }
                assert!(op["responses"].get("401").is_some(), "{name} lacks 401");
                assert!(op["responses"].get("403").is_some(), "{name} lacks 403");
            }
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{name} has no 2xx"
            );
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(schema, "#/components/schemas/ErrorBody", "{name} {status}");
                }
            }
            assert!(op["summary"].is_string(), "{name} has no summary");
        }
    }
    assert!(operations >= 16, "{operations} operations");
    // The claim documents its every refusal.
    let claim = &doc["paths"]["/api/coupons/claim"]["post"]["responses"];
    for status in [
        "200", "400", "401", "403", "404", "409", "413", "415", "422", "429", "503",
    ] {
        assert!(claim.get(status).is_some(), "claim lacks {status}");
    }
}

/// Every operation has its own id, and every link (what schemathesis's stateful phase follows)
/// names an operation that exists, with parameters that operation declares.
#[sqlx::test(migrations = "../migrations")]
async fn links_lead_from_a_new_coupon_to_its_claim_and_back(pool: PgPool) {
    let app = common::spawn(&pool).await;
    let doc = document(&app).await;
    let mut operations = std::collections::BTreeMap::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let id = op["operationId"]
                .as_str()
                .expect("every operation has an id");
            assert!(operations.insert(id.to_owned(), op).is_none(), "{id} twice");
        }
    }
    let mut links = Vec::new();
    for (id, op) in &operations {
        for response in op["responses"].as_object().unwrap().values() {
            for (name, link) in response["links"].as_object().into_iter().flatten() {
                let target = link["operationId"].as_str().unwrap();
                let declared: BTreeSet<&str> = operations
                    .get(target)
                    .unwrap_or_else(|| panic!("{id} links {name} to unknown {target}"))["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| p["name"].as_str().unwrap())
                    .collect();
                for parameter in link["parameters"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|p| p.0)
                {
                    assert!(
                        declared.contains(parameter.as_str()),
                        "{id} {name}: {parameter}"
                    );
                }
                links.push(format!("{id}->{target}"));
            }
        }
    }
    for expected in [
        "create_coupon->claim_coupon",
        "create_coupon->get_coupon",
        "claim_coupon->release_claim",
    ] {
        assert!(
            links.iter().any(|l| l == expected),
            "{expected} in {links:?}"
        );
    }
    let create = &operations["create_coupon"]["responses"]["201"]["links"]["ClaimIt"];
    assert_eq!(create["requestBody"]["coupon_name"], "$response.body#/name");
}
