//! The `/docs` page's model of the OpenAPI document: what a reader needs from it (operations
//! with their parameters, bodies and answers; the schemas' fields), read from the server's own
//! document so the page never drifts from `/api/openapi.json`. No assets from a CDN.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The API as the docs page shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct ApiDocs {
    pub title: String,
    pub version: String,
    pub description: String,
    pub operations: Vec<Operation>,
    pub schemas: Vec<SchemaDoc>,
}

/// One method on one path.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Operation {
    pub method: String,
    pub path: String,
    pub tag: String,
    pub summary: String,
    pub description: String,
    /// Needs the admin's bearer token, session or an API key (else public, or what CLAIM_AUTH
    /// asks of a claim).
    pub admin: bool,
    pub params: Vec<Field>,
    /// The request body's schema name, if any.
    pub body: Option<String>,
    pub answers: Vec<Answer>,
}

/// One documented answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Answer {
    pub status: String,
    pub description: String,
    /// The body: a schema name, or the media type when it has no named schema.
    pub body: Option<String>,
}

/// A named schema and its fields.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct SchemaDoc {
    pub name: String,
    pub description: String,
    pub fields: Vec<Field>,
}

/// A field of a schema, or a parameter of an operation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Field {
    pub name: String,
    /// Where a parameter goes (path, query, header); the type for a field.
    pub kind: String,
    pub required: bool,
    pub description: String,
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// `#/components/schemas/Name` → `Name`.
fn schema_name(schema: &Value) -> Option<String> {
    let name = schema["$ref"].as_str()?.rsplit('/').next()?;
    Some(name.to_owned())
}

/// A short type for a property schema: `string`, `integer (1..2147483647)`, `Claimer[]`, ...
fn kind(schema: &Value) -> String {
    if let Some(name) = schema_name(schema) {
        return name;
    }
    let base = match &schema["type"] {
        Value::String(t) if t == "array" => format!("{}[]", kind(&schema["items"])),
        Value::String(t) => t.clone(),
        Value::Array(types) => types.iter().map(text).collect::<Vec<_>>().join(" | "),
        _ => "any".to_owned(),
    };
    let format = schema["format"].as_str().map(|f| format!(" ({f})"));
    let range = match (schema.get("minimum"), schema.get("maximum")) {
        (Some(min), Some(max)) => Some(format!(" {min}..{max}")),
        _ => None,
    };
    let length = match (schema.get("minLength"), schema.get("maxLength")) {
        (Some(min), Some(max)) => Some(format!(", {min} to {max} characters")),
        _ => None,
    };
    format!(
        "{base}{}{}{}",
        format.unwrap_or_default(),
        range.unwrap_or_default(),
        length.unwrap_or_default()
    )
}

impl ApiDocs {
    /// Reads the document (OpenAPI 3.1 as the server writes it).
    pub fn from_document(doc: &Value) -> Self {
        let mut operations = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                operations.push(Operation::read(method, path, op));
            }
        }
        let schemas = doc["components"]["schemas"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, schema)| SchemaDoc::read(name, schema))
            .collect();
        Self {
            title: text(&doc["info"]["title"]),
            version: text(&doc["info"]["version"]),
            description: text(&doc["info"]["description"]),
            operations,
            schemas,
        }
    }
}

impl Operation {
    fn read(method: &str, path: &str, op: &Value) -> Self {
        let params = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| Field {
                name: text(&p["name"]),
                kind: text(&p["in"]),
                required: p["required"].as_bool().unwrap_or(false),
                description: text(&p["description"]),
            })
            .collect();
        let body = op["requestBody"]["content"]
            .as_object()
            .and_then(|c| c.values().next())
            .and_then(|c| schema_name(&c["schema"]));
        let answers = op["responses"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(status, answer)| Answer {
                status: status.clone(),
                description: text(&answer["description"]),
                body: answer["content"].as_object().and_then(|content| {
                    let (media, c) = content.iter().next()?;
                    Some(schema_name(&c["schema"]).unwrap_or_else(|| media.clone()))
                }),
            })
            .collect();
        // Admin operations take the admin's bearer token; the claim's API key or shopper token
        // (CLAIM_AUTH) does not make it an admin operation.
        let admin = op["security"].as_array().is_some_and(|s| {
            s.iter()
                .any(|r| r.as_object().is_some_and(|o| o.contains_key("bearer")))
        });
        Self {
            method: method.to_uppercase(),
            path: path.to_owned(),
            tag: op["tags"][0].as_str().unwrap_or("other").to_owned(),
            summary: text(&op["summary"]),
            description: text(&op["description"]),
            admin,
            params,
            body,
            answers,
        }
    }
}

impl SchemaDoc {
    fn read(name: &str, schema: &Value) -> Self {
        let required: Vec<&str> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let fields = schema["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(field, property)| Field {
                name: field.clone(),
                kind: kind(property),
                required: required.contains(&field.as_str()),
                description: text(&property["description"]),
            })
            .collect();
        Self {
            name: name.to_owned(),
            description: text(&schema["description"]),
            fields,
        }
    }
}

/// The API's documentation, read from the server's OpenAPI document (admin).
#[server(prefix = "/rpc", endpoint = "api_docs")]
pub async fn load_api_docs() -> Result<ApiDocs, crate::contract::errors::LoadError> {
    use crate::contract::errors::{LoadError, answer};
    let docs = async {
        let backend = crate::server_fns::backend::admitted()?;
        let doc: Value = serde_json::from_str(&backend.api_document())
            .map_err(|e| LoadError::Failed(format!("unreadable API document: {e}")))?;
        Ok(ApiDocs::from_document(&doc))
    };
    answer(docs.await)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_operations_answers_and_fields() {
        let doc = json!({
            "info": {"title": "T", "version": "1"},
            "paths": {"/api/x/{name}": {"post": {
                "tags": ["claims"], "summary": "S", "security": [{}],
                "parameters": [{"name": "name", "in": "path", "required": true}],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/In"}}}},
                "responses": {
                    "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Out"}}}},
                    "503": {"description": "busy"}
                }
            }, "delete": {"security": [{"bearer": []}], "responses": {}}}},
            "components": {"schemas": {"In": {"required": ["amount"], "properties": {
                "amount": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 9},
                "at": {"type": ["string", "null"]},
                "list": {"type": "array", "items": {"$ref": "#/components/schemas/Out"}}
            }}}}
        });
        let docs = ApiDocs::from_document(&doc);
        let by = |method: &str| docs.operations.iter().find(|o| o.method == method).unwrap();
        let post = by("POST");
        assert_eq!((post.method.as_str(), post.admin), ("POST", false));
        assert_eq!(post.body.as_deref(), Some("In"));
        assert_eq!(post.params[0].kind, "path");
        assert_eq!(post.answers[0].body.as_deref(), Some("Out"));
        assert_eq!(post.answers[1].body, None);
        assert!(by("DELETE").admin);
        let fields = &docs.schemas[0].fields;
        assert_eq!(fields[0].kind, "integer (int64) 1..9");
        assert!(fields[0].required);
        assert_eq!(fields[1].kind, "string | null");
        assert_eq!(fields[2].kind, "Out[]");
    }
}
