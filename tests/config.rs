//! Configuration as users meet it: discovery from the scanned path, map destinations that are
//! never reported, chains refused, prefix wildcards, misspellings answered with the nearest
//! valid spelling, and the `fix` hint when there is nowhere to rewrite to.

mod common;

use std::fs;

use common::{regmig, repo};

const TARGET: &str = "[target]\ntemplate = \"ghcr.io/acme/{path}\"\n";

#[test]
fn a_namespace_move_on_docker_hub_needs_no_ignore_entry() {
    let dir = repo(&[
        (
            "regmig.toml",
            "[target]\ntemplate = \"ghcr.io/acme/{path}\"\n\n[[map]]\nfrom = \"bitnami/*\"\nto = \"bitnamilegacy/*\"\n",
        ),
        (
            "Dockerfile",
            "FROM bitnami/redis:7.2\nFROM docker.io/bitnamilegacy/postgresql:16\nFROM nginx:1.27\n",
        ),
    ]);
    let out = regmig(dir.path(), &["check", "--format", "concise"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "Dockerfile:1:6: docker-hub: `bitnami/redis:7.2` is pulled from Docker Hub; use `bitnamilegacy/redis:7.2`\n\
         Dockerfile:3:6: docker-hub: `nginx:1.27` is pulled from Docker Hub; use `ghcr.io/acme/nginx:1.27`\n"
    );
    let fixed = regmig(dir.path(), &["fix", "--write"]);
    assert_eq!(fixed.code, 0, "{}", fixed.stderr);
    assert_eq!(
        fs::read_to_string(dir.path().join("Dockerfile")).unwrap(),
        "FROM bitnamilegacy/redis:7.2\nFROM docker.io/bitnamilegacy/postgresql:16\nFROM ghcr.io/acme/nginx:1.27\n"
    );
    assert_eq!(regmig(dir.path(), &["check"]).code, 0);
}

#[test]
fn chains_and_cycles_between_maps_are_refused_naming_both_entries() {
    let chain = repo(&[(
        "regmig.toml",
        "[[map]]\nfrom = \"acme/*\"\nto = \"acmecorp/*\"\n\n[[map]]\nfrom = \"acmecorp/*\"\nto = \"ghcr.io/acme/*\"\n",
    )]);
    let out = regmig(chain.path(), &["check"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("regmig.toml:2:"), "{}", out.stderr);
    assert!(out.stderr.contains("line 6"), "{}", out.stderr);
    assert!(out.stderr.contains("acmecorp/*"), "{}", out.stderr);

    let cycle = repo(&[(
        "regmig.toml",
        "[[map]]\nfrom = \"a/x\"\nto = \"b/x\"\n[[map]]\nfrom = \"b/x\"\nto = \"a/x\"\n",
    )]);
    let out = regmig(cycle.path(), &["check"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("not final"), "{}", out.stderr);

    let into_itself = repo(&[(
        "regmig.toml",
        "[[map]]\nfrom = \"bitnami/*\"\nto = \"bitnami/legacy/*\"\n",
    )]);
    assert_eq!(regmig(into_itself.path(), &["check"]).code, 2);
}

#[test]
fn a_wildcard_may_end_a_name_after_a_prefix() {
    let dir = repo(&[
        (
            "regmig.toml",
            "[[map]]\nfrom = \"acme/jupyter*\"\nto = \"ghcr.io/acme/notebooks/jupyter*\"\n",
        ),
        (
            "Dockerfile",
            "FROM acme/jupyter-scipy:v1\nFROM acme/jupyter:v2\nFROM acme/lab:v3\n",
        ),
    ]);
    let fixed = regmig(dir.path(), &["fix", "--write"]);
    assert_eq!(fixed.code, 1, "acme/lab stays a finding: {}", fixed.stderr);
    assert_eq!(
        fs::read_to_string(dir.path().join("Dockerfile")).unwrap(),
        "FROM ghcr.io/acme/notebooks/jupyter-scipy:v1\nFROM acme/jupyter:v2\nFROM acme/lab:v3\n",
        "`acme/jupyter*` needs something after the prefix"
    );
}

#[test]
fn config_is_found_from_the_scanned_path_not_the_working_directory() {
    let dir = repo(&[
        ("repos/x/regmig.toml", TARGET),
        ("repos/x/Dockerfile", "FROM nginx\n"),
        ("repos/x/.git/HEAD", ""),
    ]);
    let out = regmig(dir.path(), &["check", "repos/x"]);
    assert!(
        out.stdout.contains("ghcr.io/acme/nginx"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    assert!(
        out.stderr.contains("config: ") && out.stderr.contains("repos/x/regmig.toml"),
        "the human report names the config: {}",
        out.stderr
    );
    let file = regmig(dir.path(), &["check", "repos/x/Dockerfile"]);
    assert!(
        file.stdout.contains("ghcr.io/acme/nginx"),
        "{}",
        file.stdout
    );

    let none = repo(&[("Dockerfile", "FROM nginx\n")]);
    let out = regmig(none.path(), &["check"]);
    assert!(
        out.stderr.contains("no regmig.toml found"),
        "{}",
        out.stderr
    );
}

#[test]
fn misspellings_get_the_nearest_valid_spelling() {
    for (text, wanted) in [
        (
            "[target]\ntemplat = \"ghcr.io/a/{path}\"\n",
            "did you mean `template`?",
        ),
        ("[ignore]\nimagez = []\n", "did you mean `images`?"),
        ("[tagret]\n", "did you mean `target`?"),
        (
            "[rules]\ndocker-hb = \"off\"\n",
            "did you mean `docker-hub`?",
        ),
        (
            "[target]\npreset = \"ghrc\"\nowner = \"a\"\n",
            "did you mean `ghcr`?",
        ),
        (
            "[target]\npreset = \"ghcr\"\nowenr = \"a\"\n",
            "did you mean `owner`?",
        ),
    ] {
        let dir = repo(&[("regmig.toml", text)]);
        let out = regmig(dir.path(), &["check"]);
        assert_eq!(out.code, 2, "{text}");
        assert!(out.stderr.contains(wanted), "{text}: {}", out.stderr);
        assert!(out.stderr.contains("regmig.toml:"), "{}", out.stderr);
    }
    let dir = repo(&[("regmig.toml", "[ignore]\npaths = [\"{a,b\"]\n")]);
    let out = regmig(dir.path(), &["check"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("regmig.toml:2:"), "{}", out.stderr);
}

#[test]
fn unknown_rule_ids_in_suppressions_are_findings() {
    let dir = repo(&[
        (
            "Dockerfile",
            "# regmig: ignore[docker-hb]\nFROM nginx\n# regmig: ignore[docker-hub]\nFROM redis\n",
        ),
        (
            "pod.yaml",
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - image: busybox # regmig: ignore[parse-eror, docker-hub]\n",
        ),
    ]);
    let out = regmig(dir.path(), &["check", "--format", "concise"]);
    assert_eq!(
        out.stdout,
        "Dockerfile:1:18: invalid-suppression: `# regmig: ignore[docker-hb]` names no rule; did you mean `docker-hub`?\n\
         Dockerfile:2:6: docker-hub: `nginx` is pulled from Docker Hub (no destination: set [target] or add a [[map]] in regmig.toml, or ignore it)\n\
         pod.yaml:5:39: invalid-suppression: `# regmig: ignore[parse-eror]` names no rule; did you mean `parse-error`?\n"
    );
}

#[test]
fn fix_without_a_destination_says_to_run_init() {
    let dir = repo(&[("Dockerfile", "FROM nginx\n")]);
    let out = regmig(dir.path(), &["fix"]);
    assert!(out.stderr.contains("regmig init"), "{}", out.stderr);
    let configured = repo(&[
        ("Dockerfile", "FROM nginx\n"),
        (
            "regmig.toml",
            "[[map]]\nfrom = \"redis\"\nto = \"ghcr.io/a/redis\"\n",
        ),
    ]);
    let out = regmig(configured.path(), &["fix"]);
    assert!(
        out.stderr.contains("without a destination"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("regmig init"), "{}", out.stderr);
}

#[test]
fn human_output_never_splits_an_image_reference() {
    let long = "docker.io/averyveryverylongnamespacename/an-image-name-that-is-quite-long-to-force-wrapping:1.2.3-long-tag";
    let dir = repo(&[
        ("Dockerfile", format!("FROM {long}\n")),
        (
            "regmig.toml",
            "[target]\ntemplate = \"ghcr.io/some-organisation-with-a-long-name/{path}\"\n"
                .to_owned(),
        ),
    ]);
    let out = regmig(dir.path(), &["check"]);
    let destination = format!("ghcr.io/some-organisation-with-a-long-name/{}", &long[10..]);
    let message: String = out.stdout.lines().take(4).collect::<Vec<_>>().join("\n");
    assert!(message.contains(&format!("`{long}`")), "{}", out.stdout);
    assert!(
        message.contains(&format!("`{destination}`")),
        "{}",
        out.stdout
    );
}

#[test]
fn an_unreadable_directory_is_exit_2_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = repo(&[
        ("a/Dockerfile", "FROM nginx\n"),
        ("locked/Dockerfile", "FROM redis\n"),
    ]);
    let root = dir.path();
    for entry in [root.to_path_buf(), root.join("a"), root.join(".git")] {
        fs::set_permissions(&entry, fs::Permissions::from_mode(0o755)).unwrap();
    }
    fs::set_permissions(root.join("a/Dockerfile"), fs::Permissions::from_mode(0o644)).unwrap();
    fs::set_permissions(root.join("locked"), fs::Permissions::from_mode(0o000)).unwrap();
    let mut command = common::regmig_unprivileged();
    let out = command
        .args(["check", "--format", "concise"])
        .current_dir(root)
        .output()
        .expect("run regmig (as nobody via setpriv when root)");
    fs::set_permissions(root.join("locked"), fs::Permissions::from_mode(0o755)).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("locked"), "{stderr}");
}

#[test]
fn the_config_itself_is_never_searched_for_mapped_references() {
    let dir = repo(&[
        (
            "regmig.toml",
            "[[map]]\nfrom = \"acme/api\"\nto = \"ghcr.io/acme/api\"\n",
        ),
        ("notes.txt", "deploy acme/api:1.0 first\n"),
    ]);
    let out = regmig(dir.path(), &["check", "--format", "concise"]);
    assert_eq!(
        out.stdout,
        "notes.txt:1:8: mapped-image: `acme/api:1.0` is mapped to another registry by regmig.toml; use `ghcr.io/acme/api:1.0`\n"
    );
}
