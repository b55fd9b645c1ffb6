//! Table tests for the reference grammar, one row per rule of distribution/reference.

use super::*;

const SHA: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// (input, canonical)
const VALID: &[(&str, &str)] = &[
    ("nginx", "docker.io/library/nginx"),
    ("nginx:1.25", "docker.io/library/nginx:1.25"),
    ("library/nginx", "docker.io/library/nginx"),
    ("docker.io/nginx", "docker.io/library/nginx"),
    (
        "docker.io/library/nginx:1.25",
        "docker.io/library/nginx:1.25",
    ),
    ("index.docker.io/nginx", "docker.io/library/nginx"),
    ("registry-1.docker.io/nginx", "docker.io/library/nginx"),
    (
        "registry.hub.docker.com/bitnami/redis:7",
        "docker.io/bitnami/redis:7",
    ),
    ("bitnami/redis", "docker.io/bitnami/redis"),
    ("myhost/app", "docker.io/myhost/app"),
    ("localhost:5000", "docker.io/library/localhost:5000"),
    ("localhost/app", "localhost/app"),
    ("localhost:5000/app:v1", "localhost:5000/app:v1"),
    ("Foo/app", "Foo/app"),
    ("ghcr.io/acme/app", "ghcr.io/acme/app"),
    ("registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9"),
    ("[::1]:5000/app", "[::1]:5000/app"),
    ("[fe80::1]/app", "[fe80::1]/app"),
    ("a.b.c/d/e/f:tag", "a.b.c/d/e/f:tag"),
    ("foo_bar", "docker.io/library/foo_bar"),
    ("foo__bar", "docker.io/library/foo__bar"),
    ("foo---bar", "docker.io/library/foo---bar"),
    ("foo.bar", "docker.io/library/foo.bar"),
    ("nginx:LATEST_1.x-y", "docker.io/library/nginx:LATEST_1.x-y"),
    ("nginx:_tag", "docker.io/library/nginx:_tag"),
];

const INVALID: &[&str] = &[
    "",
    "Nginx",
    "docker.io/Library/nginx",
    "nginx:",
    "nginx:-tag",
    "nginx:.tag",
    "nginx@sha256:abc",
    "nginx@md5:0123456789abcdef0123456789abcdef",
    "-nginx",
    "nginx-",
    "foo._bar",
    "foo___bar",
    "foo..bar",
    "foo//bar",
    "/foo",
    "foo/",
    "ghcr.io/",
    "ghcr.io:/app",
    "ghcr.io:abc/app",
    "-ghcr.io/app",
    "[::1/app",
    "[]/app",
    "[::1]x/app",
    "nginx:tag with space",
    "nginx latest",
    "${REGISTRY}/app",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
];

#[test]
fn valid_references_normalise_like_distribution() {
    for (input, canonical) in VALID {
        let image = ImageRef::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(image.canonical(), *canonical, "{input}");
        assert_eq!(image.render(), *input, "render keeps the written form");
    }
}

#[test]
fn invalid_references_are_refused() {
    for input in INVALID {
        assert!(
            ImageRef::parse(input).is_err(),
            "{input:?} should be invalid"
        );
    }
}

#[test]
fn tag_and_digest_together_are_both_kept() {
    let input = format!("nginx:1.25@{SHA}");
    let image = ImageRef::parse(&input).unwrap();
    assert_eq!(image.tag.as_deref(), Some("1.25"));
    assert_eq!(image.digest.as_deref(), Some(SHA));
    assert_eq!(
        image.canonical(),
        format!("docker.io/library/nginx:1.25@{SHA}")
    );
}

#[test]
fn digest_must_be_lowercase_and_exact_length() {
    assert!(ImageRef::parse(&format!("nginx@{SHA}")).is_ok());
    assert!(ImageRef::parse(&format!("nginx@{}", SHA.to_uppercase())).is_err());
    assert!(ImageRef::parse(&format!("nginx@{SHA}0")).is_err());
    let sha512 = format!("sha512:{}", "ab".repeat(64));
    assert!(ImageRef::parse(&format!("nginx@{sha512}")).is_ok());
}

#[test]
fn tag_length_is_bounded() {
    assert!(ImageRef::parse(&format!("nginx:{}", "a".repeat(128))).is_ok());
    assert!(ImageRef::parse(&format!("nginx:{}", "a".repeat(129))).is_err());
}

#[test]
fn path_length_counts_the_library_prefix() {
    let name = "a".repeat(247);
    assert!(ImageRef::parse(&name).is_ok(), "library/ + 247 = 255");
    assert_eq!(
        ImageRef::parse(&"a".repeat(248)),
        Err(RefError::NameTooLong)
    );
    assert!(ImageRef::parse(&format!("ghcr.io/{}", "a".repeat(255))).is_ok());
}

#[test]
fn docker_hub_detection_covers_every_alias() {
    for host in DOCKER_HUB_HOSTS {
        let image = ImageRef::parse(&format!("{host}/library/nginx")).unwrap();
        assert!(image.is_docker_hub(), "{host}");
        assert_eq!(image.domain(), "docker.io");
    }
    assert!(!ImageRef::parse("quay.io/nginx").unwrap().is_docker_hub());
    assert!(ImageRef::parse("localhost:5000").unwrap().is_docker_hub());
}

#[test]
fn familiar_path_drops_library_only_on_docker_hub() {
    let path = |s: &str| ImageRef::parse(s).unwrap().familiar_path().to_owned();
    assert_eq!(path("library/nginx"), "nginx");
    assert_eq!(path("docker.io/library/nginx"), "nginx");
    assert_eq!(path("bitnami/redis"), "bitnami/redis");
    assert_eq!(path("ghcr.io/library/nginx"), "library/nginx");
    assert_eq!(path("library/a/b"), "library/a/b");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn reference() -> impl Strategy<Value = String> {
        let host = prop::option::of(prop_oneof![
            Just("docker.io".to_owned()),
            Just("registry-1.docker.io".to_owned()),
            Just("localhost:5000".to_owned()),
            Just("[::1]:5000".to_owned()),
            "[a-z][a-z0-9-]{0,8}[a-z0-9]\\.[a-z]{2,4}(:[0-9]{1,5})?",
        ]);
        let component = "[a-z0-9]{1,6}((\\.|_|__|-{1,3})[a-z0-9]{1,6}){0,2}";
        let path = prop::collection::vec(component, 1..4).prop_map(|c| c.join("/"));
        let tag = prop::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}");
        let digest = prop::option::of("[0-9a-f]{64}".prop_map(|h| format!("sha256:{h}")));
        (host, path, tag, digest).prop_map(|(host, path, tag, digest)| {
            let mut s = host.map(|h| format!("{h}/")).unwrap_or_default() + &path;
            if let Some(t) = tag {
                s = s + ":" + &t;
            }
            if let Some(d) = digest {
                s = s + "@" + &d;
            }
            s
        })
    }

    proptest! {
        #[test]
        fn parse_render_roundtrip(s in reference()) {
            if let Ok(image) = ImageRef::parse(&s) {
                prop_assert_eq!(ImageRef::parse(&image.render()), Ok(image.clone()));
                let canonical = ImageRef::parse(&image.canonical()).unwrap();
                prop_assert_eq!(canonical.canonical(), image.canonical());
            }
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = ImageRef::parse(&s);
        }
    }
}
