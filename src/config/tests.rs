//! Config parsing and validation: every error names its line.

use super::*;
use crate::rules::builtin;

fn load_str(text: &str) -> Result<Config, ConfigError> {
    parse(text, Path::new("regmig.toml"), builtin())
}

fn error(text: &str) -> ConfigError {
    load_str(text).expect_err("config should be refused")
}

fn image(s: &str) -> ImageRef {
    ImageRef::parse(s).unwrap()
}

#[test]
fn empty_config_is_valid() {
    let config = load_str("").unwrap();
    assert!(config.target.is_none() && config.maps.is_empty());
}

#[test]
fn unknown_keys_point_at_their_line() {
    let e = error("[target]\ntemplate = \"ghcr.io/a/{path}\"\n\n[ignore]\nimagez = []\n");
    assert_eq!(e.line, 5, "{e}");
    let e = error("[[map]]\nfrom = \"nginx\"\nto = \"ghcr.io/a/nginx\"\nextra = 1\n");
    assert_eq!(e.line, 4, "{e}");
    let e = error("[tagret]\ntemplate = \"x\"\n");
    assert_eq!(e.line, 1, "{e}");
}

#[test]
fn template_placeholders() {
    let config = load_str("[target]\ntemplate = \"ghcr.io/acme/{namespace}/{name}\"\n").unwrap();
    let template = &config.target.unwrap().template;
    assert_eq!(
        template.apply(&image("nginx:1")).unwrap().render(),
        "ghcr.io/acme/library/nginx:1"
    );
    let config = load_str("[target]\ntemplate = \"ghcr.io/acme/{path}\"\n").unwrap();
    let template = &config.target.unwrap().template;
    assert_eq!(
        template.apply(&image("docker.io/library/nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")).unwrap().render(),
        "ghcr.io/acme/nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    );
    let config = load_str("[target]\ntemplate = \"mirror.example/{repo}\"\n").unwrap();
    let template = &config.target.unwrap().template;
    assert_eq!(
        template.apply(&image("bitnami/redis")).unwrap().render(),
        "mirror.example/bitnami/redis"
    );
}

#[test]
fn bad_templates_are_refused_with_their_line() {
    for bad in [
        "ghcr.io/acme/{paht}",
        "ghcr.io/acme/{path",
        "ghcr.io/acme/path}",
        "ghcr.io/acme/{path}:latest",
        "ghcr.io/ACME/{path}",
        "ghcr.io/acme/static",
    ] {
        let e = error(&format!("# comment\n[target]\ntemplate = \"{bad}\"\n"));
        assert_eq!(e.line, 3, "{bad}: {e}");
    }
}

#[test]
fn presets_fill_parameters_and_defaults() {
    let config = load_str(
        "[target]\npreset = \"ecr-pull-through\"\naccount = \"123456789012\"\nregion = \"eu-west-1\"\n",
    )
    .unwrap();
    let template = &config.target.unwrap().template;
    assert_eq!(
        template.apply(&image("nginx:1.25")).unwrap().render(),
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/nginx:1.25"
    );
    let e = error("[target]\npreset = \"ecr-pull-through\"\naccount = \"1\"\n");
    assert!(e.message.contains("region"), "{e}");
    let e = error("[target]\npreset = \"ghcr\"\nowner = \"acme\"\nregoin = \"x\"\n");
    assert_eq!(e.line, 4, "{e}");
    let e = error("[target]\npreset = \"nope\"\n");
    assert!(e.message.contains("unknown preset"), "{e}");
}

#[test]
fn every_preset_loads_with_sample_parameters() {
    for preset in &builtin().presets {
        let mut text = format!("[target]\npreset = \"{}\"\n", preset.name);
        for name in preset.params.keys() {
            let value = if name == "host" {
                "registry.example"
            } else {
                "sample1"
            };
            text.push_str(&format!("{name} = \"{value}\"\n"));
        }
        let config = load_str(&text).unwrap_or_else(|e| panic!("{}: {e}", preset.name));
        let rendered = config
            .target
            .unwrap()
            .template
            .apply(&image("nginx"))
            .unwrap();
        assert!(!rendered.is_docker_hub(), "{}", preset.name);
    }
}

#[test]
fn map_patterns_normalise_from() {
    let config = load_str(
        "[[map]]\nfrom = \"docker.io/library/busybox\"\nto = \"quay.io/prometheus/busybox\"\n\
         [[map]]\nfrom = \"kubeflowkatib/*\"\nto = \"ghcr.io/kubeflow/katib/*\"\n\
         [[map]]\nfrom = \"ubuntu:18.04\"\nto = \"quay.io/footloose/ubuntu18.04:latest\"\n\
         [[map]]\nfrom = \"k8s.gcr.io/*\"\nto = \"registry.k8s.io/*\"\n",
    )
    .unwrap();
    let find = |s: &str| {
        let img = image(s);
        let repo = img.repository();
        config
            .maps
            .iter()
            .find_map(|m| {
                m.from
                    .matches(&img, &repo)
                    .map(|rest| m.to.apply(&img, rest))
            })
            .flatten()
            .map(|r| r.render())
    };
    assert_eq!(
        find("busybox:1.36").as_deref(),
        Some("quay.io/prometheus/busybox:1.36")
    );
    assert_eq!(
        find("index.docker.io/busybox").as_deref(),
        Some("quay.io/prometheus/busybox")
    );
    assert_eq!(
        find("kubeflowkatib/suggestion-hyperopt:v1").as_deref(),
        Some("ghcr.io/kubeflow/katib/suggestion-hyperopt:v1")
    );
    assert_eq!(
        find("ubuntu:18.04").as_deref(),
        Some("quay.io/footloose/ubuntu18.04:latest")
    );
    assert_eq!(find("ubuntu:20.04"), None);
    assert_eq!(
        find("k8s.gcr.io/ingress-nginx/controller:v1").as_deref(),
        Some("registry.k8s.io/ingress-nginx/controller:v1")
    );
}

#[test]
fn hostless_destination_keeps_the_host_spelling() {
    let config = load_str("[[map]]\nfrom = \"bitnami/*\"\nto = \"bitnamilegacy/*\"\n").unwrap();
    let entry = &config.maps[0];
    let apply = |s: &str| {
        let img = image(s);
        let repo = img.repository();
        let rest = entry.from.matches(&img, &repo).unwrap();
        entry.to.apply(&img, rest).unwrap().render()
    };
    assert_eq!(
        apply("docker.io/bitnami/redis:7"),
        "docker.io/bitnamilegacy/redis:7"
    );
    assert_eq!(apply("bitnami/redis"), "bitnamilegacy/redis");
}

#[test]
fn bad_maps_point_at_the_entry() {
    let e = error("[[map]]\nfrom = \"nginx\"\nto = \"Not A Ref\"\n");
    assert_eq!(
        (e.line, e.message.starts_with("invalid `to`")),
        (3, true),
        "{e}"
    );
    let e = error("[[map]]\nfrom = \"a/*/b\"\nto = \"ghcr.io/x/*\"\n");
    assert_eq!(e.line, 2, "{e}");
    let e = error("[[map]]\nfrom = \"bitnami/*\"\nto = \"ghcr.io/x/redis\"\n");
    assert_eq!(e.line, 3, "{e}");
    let e = error("[[map]]\nfrom = \"*\"\nto = \"ghcr.io/x/*\"\n");
    assert_eq!(e.line, 2, "{e}");
}

#[test]
fn rule_levels() {
    let config = load_str("[rules]\ndocker-hub = \"warning\"\nparse-error = \"off\"\n").unwrap();
    assert_eq!(
        config.level("docker-hub"),
        Some(Level::On(Severity::Warning))
    );
    assert_eq!(config.level("parse-error"), Some(Level::Off));
    assert_eq!(error("[rules]\nno-such-rule = \"off\"\n").line, 2);
    assert_eq!(error("[rules]\ndocker-hub = \"loud\"\n").line, 2);
}

#[test]
fn ignored_images_match_any_tag() {
    let config = load_str("[ignore]\nimages = [\"mysql\", \"bitnamilegacy/*\"]\n").unwrap();
    assert!(config.is_image_ignored(&image("docker.io/library/mysql:8")));
    assert!(config.is_image_ignored(&image("bitnamilegacy/redis:7")));
    assert!(!config.is_image_ignored(&image("ghcr.io/library/mysql:8")));
}
