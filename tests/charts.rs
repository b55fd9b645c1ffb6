//! OCI Helm chart repositories: reported by `check`, rewritten by `oci://` maps, and kept out of
//! the image copy plan (a chart is copied version by version, not as an image).

mod common;

use common::{regmig, repo};

const CHART_MAP: &str =
    "[[map]]\nfrom = \"oci://registry-1.docker.io/bitnamicharts\"\nto = \"oci://ghcr.io/acme/charts\"\n";

#[test]
fn charts_are_findings_but_not_images_to_copy() {
    let dir = repo(&[
        ("regmig.toml", CHART_MAP),
        (
            "install.sh",
            "#!/bin/sh\nhelm install db oci://registry-1.docker.io/bitnamicharts/postgresql\n",
        ),
        (
            "chart/Chart.yaml",
            "apiVersion: v2\nname: shop\nversion: 1.0.0\ndependencies:\n  - name: redis\n    version: 19.x.x\n    repository: oci://registry-1.docker.io/bitnamicharts\n",
        ),
    ]);
    let check = regmig(dir.path(), &["check", "--format", "concise"]);
    assert_eq!(check.code, 1);
    assert_eq!(
        check.stdout.matches("docker-hub-chart").count(),
        2,
        "{}",
        check.stdout
    );
    let plan = regmig(dir.path(), &["images", "--format", "skopeo"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(!plan.stdout.contains("bitnamicharts"), "{}", plan.stdout);
}

#[test]
fn a_chart_without_an_oci_map_has_no_fix() {
    let dir = repo(&[(
        "helmfile.yaml",
        "repositories:\n  - name: bitnami\n    url: registry-1.docker.io/bitnamicharts\n    oci: true\n",
    )]);
    let out = regmig(dir.path(), &["check", "--format", "concise"]);
    assert!(
        out.stdout.contains("add an `oci://` [[map]]"),
        "{}",
        out.stdout
    );
}
