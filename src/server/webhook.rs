//! Signatures of inbound webhooks (carriers' tracking, the mail gateway): the header
//! `X-Shopflow-Signature: sha256=<hex HMAC-SHA256 of the body under the shared secret>`.

/// The `X-Shopflow-Signature` header a sender puts on `body`: `sha256=` and the hex HMAC-SHA256 of
/// the body under the shared secret.
pub fn signature(secret: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a webhook signature in constant time.
pub fn signature_matches(secret: &str, body: &[u8], header: &str) -> bool {
    use hmac::{Hmac, Mac};
    let Some(hex_sig) = header.trim().strip_prefix("sha256=") else { return false };
    let Ok(given) = hex::decode(hex_sig) else { return false };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}
