//! Standard Webhooks signatures (the `standardwebhooks` crate): `whsec_` secrets and the three
//! headers of every attempt. During a rotation's grace period a delivery carries two
//! signatures, by the new secret and the old one, so a receiver that still has the old one
//! verifies too.

use base64::{Engine, engine::general_purpose::STANDARD};
use standardwebhooks::Webhook;

/// The secrets' prefix, as the spec writes it.
const SECRET_PREFIX: &str = "whsec_";
/// Random bytes in a secret (the spec allows 24 to 64).
const SECRET_BYTES: usize = 32;

/// A new signing secret: `whsec_` and the base64 of 32 random bytes.
pub fn new_secret() -> anyhow::Result<String> {
    let mut random = [0u8; SECRET_BYTES];
    getrandom::fill(&mut random).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(format!("{SECRET_PREFIX}{}", STANDARD.encode(random)))
}

/// The `webhook-signature` header of `body` sent as event `id` at `timestamp` (Unix seconds):
/// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per secret, space-separated.
pub fn signature(secrets: &[&str], id: &str, timestamp: i64, body: &str) -> anyhow::Result<String> {
    let mut signatures = Vec::with_capacity(secrets.len());
    for secret in secrets {
        let signer = Webhook::new(secret).map_err(|e| anyhow::anyhow!("bad secret: {e}"))?;
        let signed = signer
            .sign(id, timestamp, body.as_bytes())
            .map_err(|e| anyhow::anyhow!("cannot sign: {e}"))?;
        signatures.push(signed);
    }
    Ok(signatures.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The examples of the Standard Webhooks specification and of its reference libraries.
    #[test]
    fn signs_the_spec_example() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        let got = signature(&[secret], id, 1614265330, body).unwrap();
        assert_eq!(got, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let body = r#"{"email":"test@example.com","username":"test_user"}"#;
        let secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
        let got = signature(
            &[secret],
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            1649367553,
            body,
        );
        assert_eq!(
            got.unwrap(),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
    }

    #[test]
    fn two_secrets_two_signatures() {
        let (a, b) = (new_secret().unwrap(), new_secret().unwrap());
        assert!(a.starts_with("whsec_") && a != b);
        let both = signature(&[&a, &b], "evt_1_1", 1, "{}").unwrap();
        let parts: Vec<&str> = both.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], signature(&[&a], "evt_1_1", 1, "{}").unwrap());
        assert_eq!(parts[1], signature(&[&b], "evt_1_1", 1, "{}").unwrap());
    }
}
