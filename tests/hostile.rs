//! Reliability: hostile input never crashes, hangs or loses a byte, writes are safe, and the
//! process behaves under interrupts (issue: reliability). Each test names the case it covers.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{read_tree, regmig, repo};

const TARGET: &str = "[target]\ntemplate = \"ghcr.io/acme/{path}\"\n";

/// Runs regmig and kills it if it has not finished within `limit`: a hang is a failure. The
/// output is drained while waiting, so a full pipe cannot stall the child.
fn regmig_within(dir: &Path, args: &[&str], limit: Duration) -> common::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_regmig"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).unwrap();
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("regmig {args:?} hung for more than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    common::Output {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// The largest peak RSS of any child this test binary has waited for, in MiB.
fn children_peak_rss_mib() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage.ru_maxrss as f64 / 1024.0
}

#[test]
fn binary_content_in_a_manifest_is_a_parse_error_with_its_offset() {
    let mut binary = b"apiVersion: v1\nkind: Pod\n".to_vec();
    binary.extend((0u8..=255).cycle().take(4096));
    let dir = repo::<&[u8]>(&[
        ("deploy/blob.yaml", &binary),
        ("deploy/nul.yaml", b"image: \0nginx\0\n"),
        ("Dockerfile", b"FROM \0\xc3\x28 nginx\n"),
        (
            "deploy/ok.yaml",
            b"apiVersion: v1\nkind: Pod\nspec: {containers: [{image: nginx}]}\n",
        ),
    ]);
    let out = regmig_within(
        dir.path(),
        &["check", "--format", "concise"],
        Duration::from_secs(30),
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("deploy/blob.yaml:1:1: parse-error: invalid UTF-8 at byte 153"),
        "{}",
        out.stdout
    );
    assert!(out
        .stdout
        .contains("Dockerfile:1:1: parse-error: invalid UTF-8 at byte 6"));
    assert!(
        out.stdout.contains("deploy/ok.yaml:3:"),
        "the run continues: {}",
        out.stdout
    );
}

#[test]
fn empty_files_of_every_kind_are_clean() {
    let names = [
        "Dockerfile",
        "k8s.yaml",
        "compose.yaml",
        "kustomization.yaml",
        ".gitlab-ci.yml",
        ".github/workflows/ci.yml",
        "main.tf",
        "x.tfvars",
        "x.tf.json",
    ];
    let files: Vec<(&str, &[u8])> = names.iter().map(|n| (*n, &b""[..])).collect();
    let dir = repo(&files);
    let out = regmig(dir.path(), &["check", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
}

#[test]
fn a_25_mb_stream_of_200_000_pods_is_read_whole_in_bounded_memory() {
    let mut text = String::with_capacity(25 << 20);
    for i in 0..200_000 {
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{i}\n  labels: {{app: web}}\nspec:\n  containers:\n    - name: c\n      image: nginx:1.{i}\n"
        ));
    }
    assert!(text.len() > 25 << 20, "{} bytes", text.len());
    let dir = repo::<&[u8]>(&[("pods.yaml", text.as_bytes())]);
    let out = regmig_within(
        dir.path(),
        &["check", "--format", "concise"],
        Duration::from_secs(300),
    );
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout.lines().count(), 200_000);
    assert!(out
        .stdout
        .lines()
        .last()
        .unwrap()
        .contains("`nginx:1.199999`"));
    // About five times the file: the text, and one finding per pod until it is printed.
    let peak = children_peak_rss_mib();
    assert!(peak < 256.0, "peak RSS {peak:.0} MiB");
}

#[test]
fn deep_nesting_neither_overflows_nor_hangs() {
    let flow = format!("image: {}{}\n", "[".repeat(200_000), "]".repeat(200_000));
    let mut block = String::new();
    for depth in 0..5_000 {
        block.push_str(&" ".repeat(depth));
        block.push_str("level:\n");
    }
    block.push_str(&" ".repeat(5_000));
    block.push_str("image: nginx:1.27\n");
    let dir = repo::<&[u8]>(&[
        ("flow.yaml", flow.as_bytes()),
        ("block.yaml", block.as_bytes()),
    ]);
    let out = regmig_within(
        dir.path(),
        &["check", "--format", "concise"],
        Duration::from_secs(120),
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stdout.contains("block.yaml:5001:"), "{}", out.stdout);
    assert!(
        out.stdout.contains("flow.yaml:1:") && out.stdout.contains("parse-error"),
        "{}",
        out.stdout
    );
}

#[test]
fn alias_bombs_are_never_expanded() {
    let mut bomb = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    let mut previous = 'a';
    for name in "bcdefghijklmnopqrstuvwxyz".chars() {
        bomb.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{previous}"); 9].join(", ")
        ));
        previous = name;
    }
    bomb.push_str("worker:\n  image: busybox:1.36\n");
    let dir = repo::<&[u8]>(&[("bomb.yaml", bomb.as_bytes())]);
    let out = regmig_within(
        dir.path(),
        &["check", "--format", "concise"],
        Duration::from_secs(10),
    );
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
}

#[test]
fn symlink_loops_fifos_sockets_and_directories_named_like_manifests() {
    let dir = repo::<&[u8]>(&[
        ("Dockerfile", b"FROM nginx\n"),
        ("values.yaml/Dockerfile", b"FROM redis\n"),
    ]);
    let root = dir.path();
    std::os::unix::fs::symlink("loop.yaml", root.join("loop.yaml")).unwrap();
    std::os::unix::fs::symlink("b.yaml", root.join("a.yaml")).unwrap();
    std::os::unix::fs::symlink("a.yaml", root.join("b.yaml")).unwrap();
    let fifo = std::ffi::CString::new(root.join("pipe.yaml").to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid, NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    let _socket = std::os::unix::net::UnixListener::bind(root.join("sock.yaml")).unwrap();

    let out = regmig_within(
        root,
        &["check", "--format", "concise"],
        Duration::from_secs(30),
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let paths: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(paths, ["Dockerfile", "values.yaml/Dockerfile"]);

    let fifo_named = regmig_within(root, &["check", "pipe.yaml"], Duration::from_secs(10));
    assert_eq!(
        fifo_named.code, 0,
        "a FIFO named explicitly is skipped, not read"
    );
    let loop_named = regmig_within(root, &["check", "loop.yaml"], Duration::from_secs(10));
    assert_eq!(loop_named.code, 2);
    assert!(
        loop_named.stderr.contains("loop.yaml"),
        "{}",
        loop_named.stderr
    );
}

#[test]
fn unreadable_files_are_reported_and_the_run_continues() {
    let dir = repo::<&[u8]>(&[
        ("a/Dockerfile", b"FROM nginx\n"),
        ("b/Dockerfile", b"FROM redis\n"),
    ]);
    let root = dir.path();
    for entry in [
        root.to_path_buf(),
        root.join("a"),
        root.join("b"),
        root.join(".git"),
    ] {
        fs::set_permissions(&entry, fs::Permissions::from_mode(0o755)).unwrap();
    }
    fs::set_permissions(root.join("b/Dockerfile"), fs::Permissions::from_mode(0o644)).unwrap();
    fs::set_permissions(root.join("a/Dockerfile"), fs::Permissions::from_mode(0o000)).unwrap();
    let mut command = common::regmig_unprivileged();
    let out = command
        .args(["check", "--format", "concise"])
        .current_dir(root)
        .output()
        .expect("run regmig (as nobody via setpriv when root)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("a/Dockerfile:1:1: parse-error: cannot read the file: Permission denied"),
        "{stdout}"
    );
    assert!(stdout.contains("b/Dockerfile:1:6: docker-hub"), "{stdout}");
}

#[test]
fn a_file_changed_since_it_was_read_is_not_written() {
    let dir = repo::<&[u8]>(&[("Dockerfile", b"FROM nginx\n")]);
    let path = dir.path().join("Dockerfile");
    let result = regmig::fix::write_atomic(&path, b"FROM redis\n", "FROM ghcr.io/acme/redis\n");
    assert!(matches!(result, Err(regmig::fix::WriteError::Changed)));
    assert_eq!(fs::read(&path).unwrap(), b"FROM nginx\n");
    let names: Vec<String> = read_tree(dir.path()).into_iter().map(|(p, _)| p).collect();
    assert_eq!(names, ["Dockerfile"], "no temporary file is left behind");
}

#[test]
fn a_file_named_twice_through_a_symlink_is_edited_once() {
    let dir = repo::<&[u8]>(&[
        ("real/Dockerfile", b"FROM nginx\n"),
        ("regmig.toml", TARGET.as_bytes()),
    ]);
    std::os::unix::fs::symlink("real/Dockerfile", dir.path().join("Dockerfile")).unwrap();
    let out = regmig(
        dir.path(),
        &["fix", "--write", "Dockerfile", "real/Dockerfile", "real"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("fixed 1 reference in 1 file"),
        "{}",
        out.stderr
    );
    assert!(fs::symlink_metadata(dir.path().join("Dockerfile"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        fs::read_to_string(dir.path().join("real/Dockerfile")).unwrap(),
        "FROM ghcr.io/acme/nginx\n"
    );
}

#[test]
fn an_interrupt_leaves_every_file_old_or_new() {
    const FILES: usize = 4_000;
    let old = |i: usize| format!("# service {i}\nFROM nginx:1.{i}\nRUN make\n");
    let new = |i: usize| format!("# service {i}\nFROM ghcr.io/acme/nginx:1.{i}\nRUN make\n");
    let contents: Vec<(String, String)> = (0..FILES)
        .map(|i| (format!("svc{i:04}/Dockerfile"), old(i)))
        .collect();
    let mut files: Vec<(&str, &[u8])> = contents
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_bytes()))
        .collect();
    files.push(("regmig.toml", TARGET.as_bytes()));
    let dir = repo(&files);

    let child = Command::new(env!("CARGO_BIN_EXE_regmig"))
        .args(["fix", "--write"])
        .current_dir(dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(150));
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().unwrap();
    let code = out.status.code();
    assert!(
        code == Some(130) || code == Some(0),
        "exit {code:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut written = 0;
    for (i, (path, _)) in contents.iter().enumerate() {
        let text = fs::read_to_string(dir.path().join(path)).unwrap();
        assert!(
            text == old(i) || text == new(i),
            "{path} is neither old nor new: {text:?}"
        );
        written += usize::from(text == new(i));
    }
    let leftovers: Vec<String> = read_tree(dir.path())
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.contains(".regmig-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    eprintln!("interrupted after {written} of {FILES} files (exit {code:?})");
}

#[test]
fn nothing_is_written_when_the_config_is_invalid() {
    let dir = repo::<&[u8]>(&[
        ("Dockerfile", b"FROM nginx\n"),
        (
            "regmig.toml",
            b"[target]\ntemplate = \"ghcr.io/acme/{path}\"\n[[map]]\nfrom = \"nginx\"\n",
        ),
    ]);
    let before = read_tree(dir.path());
    let out = regmig(dir.path(), &["fix", "--write"]);
    assert_eq!(out.code, 2);
    assert_eq!(read_tree(dir.path()), before);
}
