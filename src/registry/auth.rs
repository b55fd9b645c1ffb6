//! Registry client, authentication: the `WWW-Authenticate` challenge (RFC 7235 syntax, as
//! registries send it), the Bearer token request of the distribution token protocol, and the
//! Basic header. Secrets pass through here but never into a message.

use base64::Engine;

/// What a registry asked for in its `401`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Challenge {
    /// The distribution token flow: fetch a token from `realm` for `service` and `scope`.
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
    Basic,
}

impl Challenge {
    /// The first challenge in a `WWW-Authenticate` value that regmig can answer, preferring
    /// Bearer; `None` when there is none.
    pub fn parse(header: &str) -> Option<Challenge> {
        let challenges = parse_challenges(header);
        let bearer = challenges
            .iter()
            .find(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .and_then(|(_, params)| {
                let get = |key: &str| {
                    params
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(key))
                        .map(|(_, v)| v.clone())
                };
                Some(Challenge::Bearer {
                    realm: get("realm")?,
                    service: get("service"),
                    scope: get("scope"),
                })
            });
        bearer.or_else(|| {
            challenges
                .iter()
                .any(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
                .then_some(Challenge::Basic)
        })
    }
}

type Params = Vec<(String, String)>;

/// `scheme param=value, param="quoted", other-scheme …`: each scheme with its parameters.
fn parse_challenges(header: &str) -> Vec<(String, Params)> {
    let mut out: Vec<(String, Params)> = Vec::new();
    let mut rest = header.trim();
    while !rest.is_empty() {
        rest = rest.trim_start_matches([',', ' ', '\t']);
        let token_end = rest.find([' ', '\t', ',', '=']).unwrap_or(rest.len());
        let token = &rest[..token_end];
        let after = rest[token_end..].trim_start_matches([' ', '\t']);
        if token.is_empty() {
            break;
        }
        if let Some(value_text) = after.strip_prefix('=') {
            // A parameter of the current scheme.
            let (value, remaining) = parse_value(value_text.trim_start());
            if let Some((_, params)) = out.last_mut() {
                params.push((token.to_owned(), value));
            }
            rest = remaining;
        } else {
            out.push((token.to_owned(), Vec::new()));
            rest = after;
        }
    }
    out
}

/// A token or a quoted string (with `\` escapes), and what follows it.
fn parse_value(text: &str) -> (String, &str) {
    if let Some(quoted) = text.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        value.push(escaped);
                    }
                }
                '"' => return (value, &quoted[i + 1..]),
                _ => value.push(c),
            }
        }
        (value, "")
    } else {
        let end = text.find([',', ' ', '\t']).unwrap_or(text.len());
        (text[..end].to_owned(), &text[end..])
    }
}

/// `Basic base64(user:password)`.
pub fn basic_header(username: &str, password: &str) -> String {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    format!("Basic {encoded}")
}

/// The token request URL: `realm?service=…&scope=…`.
pub fn token_url(realm: &str, service: Option<&str>, scope: &str) -> String {
    let mut url = realm.to_owned();
    let mut separator = if realm.contains('?') { '&' } else { '?' };
    if let Some(service) = service {
        url.push(separator);
        url.push_str("service=");
        url.push_str(&form_encode(service));
        separator = '&';
    }
    url.push(separator);
    url.push_str("scope=");
    url.push_str(&form_encode(scope));
    url
}

/// The body of the OAuth2 refresh-token request that identity tokens (`docker login` to
/// Azure and others) need instead of Basic credentials.
pub fn refresh_token_form(service: Option<&str>, scope: &str, token: &str) -> String {
    let mut pairs = vec![
        ("grant_type", "refresh_token"),
        ("client_id", "regmig"),
        ("scope", scope),
        ("refresh_token", token),
    ];
    if let Some(service) = service {
        pairs.push(("service", service));
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The token in a token endpoint's JSON answer (`token`, or OAuth2's `access_token`).
pub fn token_from_response(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    ["token", "access_token"]
        .iter()
        .find_map(|key| value.get(key)?.as_str().filter(|t| !t.is_empty()))
        .map(str::to_owned)
}

/// Percent-encoding of everything but RFC 3986's unreserved characters.
fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenges() {
        let header = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#;
        assert_eq!(
            Challenge::parse(header),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/nginx:pull".into()),
            })
        );
        // Spaces after commas, unquoted values, other parameters and their order.
        let header = r#"bearer scope="repository:a/b:pull,push", error="insufficient_scope", realm=https://ghcr.io/token"#;
        assert_eq!(
            Challenge::parse(header),
            Some(Challenge::Bearer {
                realm: "https://ghcr.io/token".into(),
                service: None,
                scope: Some("repository:a/b:pull,push".into()),
            })
        );
        // Escapes inside quotes.
        let header = r#"Bearer realm="https://r.example/t?a=\"b\"",service="s""#;
        let Some(Challenge::Bearer { realm, .. }) = Challenge::parse(header) else {
            panic!("not parsed");
        };
        assert_eq!(realm, r#"https://r.example/t?a="b""#);
    }

    #[test]
    fn basic_and_unknown_challenges() {
        assert_eq!(
            Challenge::parse(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        // Bearer wins over Basic when both are offered.
        assert!(matches!(
            Challenge::parse(r#"Basic realm="x", Bearer realm="https://t.example/token""#),
            Some(Challenge::Bearer { .. })
        ));
        assert_eq!(Challenge::parse(r#"Negotiate abc"#), None);
        assert_eq!(Challenge::parse(""), None);
        // A Bearer challenge without a realm cannot be answered.
        assert_eq!(Challenge::parse(r#"Bearer service="x""#), None);
    }

    #[test]
    fn token_requests() {
        assert_eq!(
            token_url(
                "https://auth.docker.io/token",
                Some("registry.docker.io"),
                "repository:library/nginx:pull"
            ),
            "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Fnginx%3Apull"
        );
        assert_eq!(
            token_url("https://r.example/token?x=1", None, "repository:a:pull"),
            "https://r.example/token?x=1&scope=repository%3Aa%3Apull"
        );
        assert_eq!(basic_header("user", "pa:ss"), "Basic dXNlcjpwYTpzcw==");
        assert_eq!(
            token_from_response(r#"{"token": "abc", "expires_in": 300}"#).as_deref(),
            Some("abc")
        );
        assert_eq!(
            token_from_response(r#"{"access_token": "xyz"}"#).as_deref(),
            Some("xyz")
        );
        assert_eq!(token_from_response(r#"{"token": ""}"#), None);
        assert_eq!(token_from_response("not json"), None);
        assert!(refresh_token_form(Some("s"), "repository:a:pull", "t/k")
            .contains("refresh_token=t%2Fk"));
    }
}
