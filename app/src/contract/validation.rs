//! The input rules (docs/api.md), shared by the JSON API and the admin forms.

use std::borrow::Cow;

use validator::{ValidationError, ValidationErrors, ValidationErrorsKind};

/// Longest name or user id, in characters (not bytes).
pub const MAX_TEXT_CHARS: u64 = 255;
/// Largest stock a coupon may have: PostgreSQL's `integer`.
pub const MAX_AMOUNT: i64 = i32::MAX as i64;

/// Names and user ids: not blank, no control characters (length is checked separately).
pub fn check_text(value: &str) -> Result<(), ValidationError> {
    if value.chars().any(char::is_control) {
        return Err(ValidationError::new("control_character")
            .with_message(Cow::Borrowed("must not contain control characters")));
    }
    if !value.is_empty() && value.chars().all(is_invisible) {
        return Err(ValidationError::new("blank").with_message(Cow::Borrowed("must not be blank")));
    }
    Ok(())
}

/// White space, and the characters that render as nothing (zero-width spaces and joiners, BOM,
/// soft hyphen, direction marks, variation selectors, fillers): a name made only of these looks
/// blank to every reader, so it counts as blank.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{E0000}'..='\u{E007F}'
        )
}

/// The same rule for one value outside a struct (e.g. a name taken from a URL path).
pub fn check_name(value: &str) -> Result<(), String> {
    let chars = value.chars().count() as u64;
    if chars == 0 || chars > MAX_TEXT_CHARS {
        return Err("name must be 1 to 255 characters".to_owned());
    }
    check_text(value).map_err(|e| format!("name {}", message_of(&e)))
}

/// One human sentence for a failed validation, naming the fields, in a stable (sorted) order.
pub fn describe(errors: &ValidationErrors) -> String {
    let mut parts: Vec<String> = errors
        .errors()
        .iter()
        .filter_map(|(field, kind)| match kind {
            ValidationErrorsKind::Field(list) => {
                list.first().map(|e| format!("{field} {}", message_of(e)))
            }
            _ => None,
        })
        .collect();
    parts.sort();
    parts.join("; ")
}

/// The message of one field error, with a fallback for rules that carry none.
pub fn message_of(error: &ValidationError) -> String {
    error
        .message
        .as_ref()
        .map(|m| m.to_string())
        .unwrap_or_else(|| format!("is invalid ({})", error.code))
}
