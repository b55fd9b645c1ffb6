//! The client's HTTP behaviour against a scripted server: retries and `Retry-After`, the
//! digest fallback, the Accept header, and the HTTP fallback of insecure hosts. (Registries
//! themselves are exercised for real in `tests/registry.rs`.)

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::*;

/// A server answering each request with the next scripted response (the last one repeats);
/// it records the request heads.
struct Scripted {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Scripted {
    fn start(responses: Vec<&'static str>) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            let mut next = 0;
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let Some(head) = read_head(&stream) else {
                    // As Go's server answers a TLS handshake on a plain HTTP port.
                    let _ = (&stream)
                        .write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
                    continue;
                };
                seen.lock().unwrap().push(head);
                let response = responses[next.min(responses.len() - 1)];
                next += 1;
                let mut stream = stream;
                let _ = stream.write_all(response.as_bytes());
            }
        });
        Scripted { port, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    fn client(&self, retry: Retry) -> Client {
        let config = format!(
            "[registries.\"127.0.0.1:{}\"]\ninsecure = true\n",
            self.port
        );
        let config = crate::config::parse(
            &config,
            std::path::Path::new("regmig.toml"),
            crate::rules::builtin(),
        )
        .unwrap();
        Client::new(
            config.registries,
            CredentialStore::from_files(Vec::new()),
            retry,
        )
        .unwrap()
    }

    fn image(&self, path: &str) -> ImageRef {
        ImageRef::parse(&format!("127.0.0.1:{}/{path}", self.port)).unwrap()
    }
}

/// The request head, or `None` for a connection that does not speak plain HTTP (a TLS
/// handshake from the HTTPS attempt).
fn read_head(stream: &TcpStream) -> Option<String> {
    // A TLS record starts with 0x16; it may hold no line break to stop at.
    let mut first = [0u8; 1];
    if stream.peek(&mut first).ok()? == 0 || first[0] == 0x16 {
        return None;
    }
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 || !line.is_ascii() {
            return None;
        }
        if line == "\r\n" {
            return Some(head);
        }
        head.push_str(&line);
    }
}

const OK: &str = "HTTP/1.1 200 OK\r\nDocker-Content-Digest: sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

fn fast() -> Retry {
    Retry {
        attempts: 3,
        base: Duration::from_millis(1),
        cap: Duration::from_secs(5),
    }
}

#[test]
fn rate_limits_are_retried_after_retry_after() {
    let server = Scripted::start(vec![
        "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        OK,
    ]);
    let started = Instant::now();
    let answer = server
        .client(fast())
        .head_manifest(&server.image("team/app:1.0"));
    assert_eq!(
        answer,
        Answer::Present(
            "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".into()
        )
    );
    // Retry-After (1 s) wins over the 1 ms backoff.
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert!(requests[0].starts_with("HEAD /v2/team/app/manifests/1.0 HTTP/1.1"));
    for media_type in [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ] {
        assert!(requests[0].contains(media_type), "{}", requests[0]);
    }
}

#[test]
fn server_errors_are_retried_a_bounded_number_of_times() {
    let server = Scripted::start(vec![
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    ]);
    let answer = server
        .client(fast())
        .head_manifest(&server.image("team/app:1.0"));
    let Answer::Unreachable(detail) = answer else {
        panic!("expected unreachable, got {answer:?}");
    };
    assert!(detail.contains("HTTP 503 3 times"), "{detail}");
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn a_missing_digest_header_is_computed_from_the_manifest() {
    let body = r#"{"schemaVersion":2}"#;
    let get = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let get: &'static str = Box::leak(get.into_boxed_str());
    let server = Scripted::start(vec![
        "HTTP/1.1 200 OK\r\nContent-Length: 19\r\nConnection: close\r\n\r\n",
        get,
    ]);
    let answer = server.client(fast()).head_manifest(
        &server
            .image("app@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"),
    );
    let expected = ring::digest::digest(&ring::digest::SHA256, body.as_bytes());
    let hex: String = expected
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(answer, Answer::Present(format!("sha256:{hex}")));
    let requests = server.requests();
    assert!(requests[0].starts_with("HEAD /v2/app/manifests/sha256:bbbb"));
    assert!(requests[1].starts_with("GET /v2/app/manifests/sha256:bbbb"));
}

#[test]
fn statuses_map_to_answers() {
    let missing = Scripted::start(vec![
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    ]);
    assert_eq!(
        missing.client(fast()).head_manifest(&missing.image("a:1")),
        Answer::Missing
    );
    let forbidden = Scripted::start(vec![
        "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    ]);
    let answer = forbidden
        .client(fast())
        .head_manifest(&forbidden.image("a:1"));
    assert!(
        matches!(&answer, Answer::Denied(d) if d.contains("HTTP 403") && d.contains("docker login")),
        "{answer:?}"
    );
    // Nothing listens: unreachable, with the host named.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let closed = Scripted {
        port,
        requests: Arc::new(Mutex::new(Vec::new())),
    };
    let answer = closed.client(fast()).head_manifest(&closed.image("a:1"));
    assert!(
        matches!(&answer, Answer::Unreachable(d) if d.contains(&format!("127.0.0.1:{port}"))),
        "{answer:?}"
    );
}

#[test]
fn an_unreadable_ca_file_points_at_the_config() {
    let config = crate::config::parse(
        "[registries.\"ghcr.io\"]\nca_file = \"/nonexistent/ca.pem\"\n",
        std::path::Path::new("/repo/regmig.toml"),
        crate::rules::builtin(),
    )
    .unwrap();
    let Err(error) = Client::new(
        config.registries,
        CredentialStore::from_files(Vec::new()),
        Retry::default(),
    ) else {
        panic!("a missing ca_file must be refused");
    };
    assert_eq!((error.line, error.column), (2, 11), "{error}");
    assert!(error.message.contains("/nonexistent/ca.pem"), "{error}");
}

#[test]
fn tls_failures_point_at_the_registries_settings() {
    // A plain-HTTP server, but the config does not say the host is insecure.
    let server = Scripted::start(vec![OK]);
    let client = Client::new(
        crate::config::Registries::default(),
        CredentialStore::from_files(Vec::new()),
        fast(),
    )
    .unwrap();
    let answer = client.head_manifest(&server.image("team/app:1.0"));
    let Answer::Unreachable(detail) = answer else {
        panic!("expected unreachable, got {answer:?}");
    };
    assert!(detail.contains("insecure = true"), "{detail}");
    assert!(
        server.requests().is_empty(),
        "no plain HTTP without insecure"
    );
}
