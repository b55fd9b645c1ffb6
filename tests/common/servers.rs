//! Servers the registry tests run in-process beside Distribution: the token issuer that
//! `auth: token` registries trust (ES256 key and certificate made per run), and an HTTP
//! CONNECT proxy for `HTTPS_PROXY`.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;

/// A token issuer for `auth: token` registries: `GET /token?service=…&scope=…` with Basic
/// credentials of a known user grants the requested actions; without credentials it grants
/// none (anonymous); with wrong ones it answers 401. Tokens are ES256 JWTs with the signing
/// certificate in `x5c`.
pub struct TokenIssuer {
    port: u16,
    pub cert_pem: String,
    requests: Arc<AtomicUsize>,
}

impl TokenIssuer {
    pub const SERVICE: &'static str = "regmig-test-registry";
    pub const ISSUER: &'static str = "regmig-test-issuer";

    pub fn start(users: &[(&str, &str)]) -> TokenIssuer {
        let key_pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let params = rcgen::CertificateParams::new(vec!["regmig-token-issuer".to_owned()]).unwrap();
        let cert = params.self_signed(&key_pair).unwrap();
        let signer = Arc::new(Signer {
            key: ring::signature::EcdsaKeyPair::from_pkcs8(
                &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &key_pair.serialize_der(),
                &ring::rand::SystemRandom::new(),
            )
            .unwrap(),
            x5c: base64::engine::general_purpose::STANDARD.encode(cert.der()),
            users: users
                .iter()
                .map(|(u, p)| (u.to_string(), p.to_string()))
                .collect(),
        });
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let signer = signer.clone();
                let counter = counter.clone();
                std::thread::spawn(move || serve_tokens(stream, &signer, &counter));
            }
        });
        TokenIssuer {
            port,
            cert_pem: cert.pem(),
            requests,
        }
    }

    pub fn realm(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.port)
    }

    /// Token requests answered so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

struct Signer {
    key: ring::signature::EcdsaKeyPair,
    x5c: String,
    users: Vec<(String, String)>,
}

impl Signer {
    fn token(&self, subject: &str, access: &[(String, Vec<&str>)]) -> String {
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let header = serde_json::json!({"typ": "JWT", "alg": "ES256", "x5c": [self.x5c]});
        let access: Vec<serde_json::Value> = access
            .iter()
            .map(|(name, actions)| {
                serde_json::json!({"type": "repository", "name": name, "actions": actions})
            })
            .collect();
        let claims = serde_json::json!({
            "iss": TokenIssuer::ISSUER, "sub": subject, "aud": TokenIssuer::SERVICE,
            "exp": now + 300, "nbf": now - 10, "iat": now, "jti": format!("{now}-{subject}"),
            "access": access,
        });
        let signing_input = format!(
            "{}.{}",
            url.encode(header.to_string()),
            url.encode(claims.to_string())
        );
        let signature = self
            .key
            .sign(&ring::rand::SystemRandom::new(), signing_input.as_bytes())
            .unwrap();
        format!("{signing_input}.{}", url.encode(signature.as_ref()))
    }
}

fn serve_tokens(stream: TcpStream, signer: &Signer, counter: &AtomicUsize) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let Some((request_line, headers)) = read_head(&mut reader) else {
            return;
        };
        counter.fetch_add(1, Ordering::SeqCst);
        let target = request_line.split_whitespace().nth(1).unwrap_or("");
        let query = target.split_once('?').map_or("", |(_, q)| q);
        let scopes: Vec<String> = query
            .split('&')
            .filter_map(|pair| pair.strip_prefix("scope="))
            .map(percent_decode)
            .collect();
        let authorization = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v.clone());
        let user = match authorization
            .as_deref()
            .and_then(|v| v.strip_prefix("Basic "))
        {
            None => None,
            Some(encoded) => {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .unwrap_or_default();
                let known = signer
                    .users
                    .iter()
                    .find(|(u, p)| decoded == format!("{u}:{p}"));
                match known {
                    Some((user, _)) => Some(user.clone()),
                    None => {
                        let body = r#"{"details":"invalid username or password"}"#;
                        respond(&stream, "401 Unauthorized", body);
                        continue;
                    }
                }
            }
        };
        // Anonymous callers get a token that grants nothing.
        let access: Vec<(String, Vec<&str>)> = scopes
            .iter()
            .flat_map(|scope| scope.split(' '))
            .filter_map(|scope| {
                let rest = scope.strip_prefix("repository:")?;
                let (name, actions) = rest.rsplit_once(':')?;
                let granted = if user.is_some() {
                    actions
                        .split(',')
                        .filter(|a| matches!(*a, "pull" | "push"))
                        .collect()
                } else {
                    Vec::new()
                };
                Some((name.to_owned(), granted))
            })
            .collect();
        let token = signer.token(user.as_deref().unwrap_or(""), &access);
        let body = serde_json::json!({"token": token, "access_token": token, "expires_in": 300})
            .to_string();
        respond(&stream, "200 OK", &body);
    }
}

/// A request line and headers; `None` at the end of the connection.
fn read_head(reader: &mut impl BufRead) -> Option<(String, Vec<(String, String)>)> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).ok()? == 0 {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            return Some((request_line.trim_end().to_owned(), headers));
        }
        if let Some((key, value)) = line.split_once(':') {
            headers.push((key.trim().to_owned(), value.trim().to_owned()));
        }
    }
}

fn respond(mut stream: &TcpStream, status: &str, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(byte) => {
                        out.push(byte);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An HTTP CONNECT proxy that tunnels to any target and counts the tunnels it opened.
pub struct ConnectProxy {
    pub port: u16,
    tunnels: Arc<AtomicUsize>,
}

impl ConnectProxy {
    pub fn start() -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let tunnels = Arc::new(AtomicUsize::new(0));
        let counter = tunnels.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let counter = counter.clone();
                std::thread::spawn(move || tunnel(client, &counter));
            }
        });
        ConnectProxy { port, tunnels }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn tunnels(&self) -> usize {
        self.tunnels.load(Ordering::SeqCst)
    }
}

fn tunnel(client: TcpStream, counter: &AtomicUsize) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let Some((request_line, _)) = read_head(&mut reader) else {
        return;
    };
    let mut parts = request_line.split_whitespace();
    let (Some("CONNECT"), Some(target)) = (parts.next(), parts.next()) else {
        respond(&client, "405 Method Not Allowed", "");
        return;
    };
    let Ok(upstream) = TcpStream::connect(target) else {
        respond(&client, "502 Bad Gateway", "");
        return;
    };
    counter.fetch_add(1, Ordering::SeqCst);
    let mut client_writer = client.try_clone().unwrap();
    let _ = client_writer.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
    // Bytes the reader buffered past the request head belong to the tunnel.
    let buffered = reader.buffer().to_vec();
    let mut upstream_writer = upstream.try_clone().unwrap();
    let _ = upstream_writer.write_all(&buffered);
    let mut upstream_reader = upstream;
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut reader.into_inner(), &mut upstream_writer);
        let _ = upstream_writer.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut upstream_reader, &mut client_writer);
    let _ = client_writer.shutdown(std::net::Shutdown::Write);
    let _ = up.join();
}
