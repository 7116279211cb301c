//! Client assertions (RFC 7523) as the identity platform checks them: a JWT signed with a
//! certificate registered for the app (PS256 or RS256, named by `x5t#S256` or `x5t`), whose `aud`
//! is the token endpoint and whose `iss` and `sub` are the client id, within `nbf`..`exp`
//! (Learn: "Microsoft identity platform application authentication certificate credentials"); or
//! a federated token the emulator handed out (workload identity federation).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use tokio_rustls::rustls::pki_types::CertificateDer;

use crate::auth::now_unix;
use crate::sign_ins::SignIns;

/// Clock skew tolerated on `nbf` and `exp`, as token validators commonly allow.
const SKEW_SECONDS: u64 = 300;

/// Why an assertion is refused: the identity platform's error code and description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) code: u32,
    pub(crate) description: String,
}

fn refusal(code: u32, description: impl Into<String>) -> Refusal {
    Refusal {
        code,
        description: description.into(),
    }
}

/// Checks `assertion` for `client_id`; `audiences` are the token endpoint's URLs (by tenant id
/// and by domain).
pub(crate) fn check(
    sign_ins: &SignIns,
    client_id: &str,
    assertion: &str,
    audiences: &[String],
) -> Result<(), Refusal> {
    if let Some((owner, expires_at)) = sign_ins.federated(assertion) {
        if !owner.eq_ignore_ascii_case(client_id) {
            return Err(refusal(
                70021,
                "No matching federated identity record found for presented assertion.",
            ));
        }
        if expires_at <= now_unix() {
            return Err(refusal(
                700024,
                "Client assertion is not within its valid time range.",
            ));
        }
        return Ok(());
    }
    let malformed = || refusal(50027, "JWT token is invalid or malformed.");
    let mut parts = assertion.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    let json = |part: &str| -> Result<Value, Refusal> {
        let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| malformed())?;
        serde_json::from_slice(&bytes).map_err(|_| malformed())
    };
    let (head, claims) = (json(header)?, json(payload)?);
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| malformed())?;
    let text =
        |value: &Value, name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
    let algorithm: &dyn tokio_rustls::rustls::pki_types::SignatureVerificationAlgorithm =
        match text(&head, "alg").as_deref() {
            Some("PS256") => webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
            Some("RS256") => webpki::ring::RSA_PKCS1_2048_8192_SHA256,
            other => {
                return Err(refusal(
                    5002738,
                    format!(
                        "Invalid JWT token. '{}' is not a supported signature algorithm.",
                        other.unwrap_or("")
                    ),
                ));
            }
        };
    let thumbprint =
        |der: &[u8], algorithm| URL_SAFE_NO_PAD.encode(ring::digest::digest(algorithm, der));
    let named_sha256 = text(&head, "x5t#S256");
    let named_sha1 = text(&head, "x5t");
    let signed = format!("{header}.{payload}");
    let verified = sign_ins.certificates(client_id).iter().any(|der| {
        let named = match (&named_sha256, &named_sha1) {
            (Some(sha256), _) => *sha256 == thumbprint(der, &ring::digest::SHA256),
            (None, Some(sha1)) => *sha1 == thumbprint(der, &ring::digest::SHA1_FOR_LEGACY_USE_ONLY),
            (None, None) => true,
        };
        let certificate = CertificateDer::from(der.as_slice());
        named
            && webpki::EndEntityCert::try_from(&certificate)
                .and_then(|certificate| {
                    certificate.verify_signature(algorithm, signed.as_bytes(), &signature)
                })
                .is_ok()
    });
    if !verified {
        return Err(refusal(
            700027,
            format!(
                "Client assertion failed signature validation: no certificate registered for the app '{client_id}' verifies it."
            ),
        ));
    }
    let audience_matches = match claims.get("aud") {
        Some(Value::String(aud)) => audiences.iter().any(|wanted| wanted == aud),
        Some(Value::Array(auds)) => auds
            .iter()
            .filter_map(Value::as_str)
            .any(|aud| audiences.iter().any(|wanted| wanted == aud)),
        _ => false,
    };
    if !audience_matches {
        return Err(refusal(
            700212,
            format!(
                "The audience of the client assertion is not the token endpoint ({}).",
                audiences.first().map(String::as_str).unwrap_or_default()
            ),
        ));
    }
    for claim in ["iss", "sub"] {
        if !text(&claims, claim).is_some_and(|value| value.eq_ignore_ascii_case(client_id)) {
            return Err(refusal(
                700023,
                format!(
                    "The client assertion's '{claim}' claim is not the client id '{client_id}'."
                ),
            ));
        }
    }
    let now = now_unix();
    let second = |name: &str| claims.get(name).and_then(Value::as_u64);
    let in_time = second("exp").is_some_and(|exp| exp + SKEW_SECONDS > now)
        && second("nbf").is_none_or(|nbf| nbf <= now + SKEW_SECONDS);
    if !in_time {
        return Err(refusal(
            700024,
            "Client assertion is not within its valid time range.",
        ));
    }
    Ok(())
}
