//! Webhook receiving: an [`crate::HttpSink`] plus checks of HMAC-SHA256 body signatures.
//!
//! Accepted signature header forms (the common conventions):
//! - `HEX` or `sha256=HEX`: HMAC-SHA256 of the raw body;
//! - `t=UNIX,v1=HEX` (Stripe-style): HMAC-SHA256 of `"{t}.{body}"`;
//! - with a separate timestamp header ([`verify_timestamped`]): HMAC-SHA256 of `"{ts}.{body}"`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::http::HttpRequest;
pub use crate::sink::HttpSink as WebhookFake;

type HmacSha256 = Hmac<Sha256>;

/// Lower-case hex HMAC-SHA256 of `message` under `secret`.
pub fn hmac_sha256_hex(secret: &[u8], message: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

fn check(secret: &[u8], message: &[u8], hex_sig: &str) -> Result<(), String> {
    let sig = hex::decode(hex_sig.trim()).map_err(|_| format!("signature {hex_sig:?} is not hex"))?;
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(message);
    // Constant-time comparison, as a real receiver must do.
    mac.verify_slice(&sig).map_err(|_| "signature does not match the body".to_owned())
}

/// Checks the request's `header` against the body (forms listed in the module docs).
/// `Ok(Some(t))` gives the signed timestamp when the header carried one.
pub fn verify_signature(req: &HttpRequest, header: &str, secret: &[u8]) -> Result<Option<i64>, String> {
    let value = req.header(header).ok_or_else(|| format!("no {header} header"))?;
    if value.contains("v1=") {
        let mut t = None;
        let mut sigs = Vec::new();
        for part in value.split(',') {
            match part.trim().split_once('=') {
                Some(("t", v)) => t = v.parse::<i64>().ok(),
                Some(("v1", v)) => sigs.push(v.to_owned()),
                _ => {}
            }
        }
        let t = t.ok_or("signature header has no t=")?;
        let mut signed = format!("{t}.").into_bytes();
        signed.extend_from_slice(&req.body);
        return sigs
            .iter()
            .find_map(|s| check(secret, &signed, s).ok())
            .map(|()| Some(t))
            .ok_or_else(|| "no v1 signature matches".to_owned());
    }
    let hex_sig = value.strip_prefix("sha256=").unwrap_or(value);
    check(secret, &req.body, hex_sig).map(|()| None)
}

/// Checks a signature of `"{timestamp}.{body}"` where the timestamp travels in its own
/// header; returns the timestamp.
pub fn verify_timestamped(
    req: &HttpRequest,
    signature_header: &str,
    timestamp_header: &str,
    secret: &[u8],
) -> Result<String, String> {
    let ts = req.header(timestamp_header).ok_or_else(|| format!("no {timestamp_header} header"))?.to_owned();
    let value = req.header(signature_header).ok_or_else(|| format!("no {signature_header} header"))?;
    let hex_sig = value.strip_prefix("sha256=").unwrap_or(value);
    let mut signed = format!("{ts}.").into_bytes();
    signed.extend_from_slice(&req.body);
    check(secret, &signed, hex_sig).map(|()| ts)
}
