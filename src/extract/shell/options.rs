//! Extract stage, shell commands: the options of the container tools whose operands are
//! images, so that an option's value (`-v a:b`, `--name x`) is never taken for the image.
//! An option missing from a table makes the operands uncertain, and then nothing is reported.
//!
//! Sources: `docker run`/`create` from docker/cli's flag definitions
//! (`cli/command/container/opts.go` `addFlags`, `run.go`, `create.go`), podman's additions
//! from `cmd/podman/common/create.go`; the other tables (pull, push, global options, `ctr`,
//! `crictl`, `crane`, `kubectl`, `sudo`) from those tools' documented flags. A missing entry
//! only costs a finding, never a wrong one.

use super::lex::Word;

/// How a command reads its options.
pub struct Options {
    /// Single-letter options that take a value (`-v a:b`, `-va:b`).
    pub short_values: &'static str,
    /// Single-letter options without a value, which may be grouped (`-it`).
    pub short_flags: &'static str,
    pub long_values: &'static [&'static str],
    pub long_flags: &'static [&'static str],
}

/// The operands of a command, once options are set aside.
#[derive(Debug, PartialEq, Eq)]
pub enum Operands {
    /// Indices of the operand words, in order.
    Known(Vec<usize>),
    /// An option not in the table, or one whose value might be the operand: nothing is sure.
    Uncertain,
}

impl Options {
    /// The operands among `words`. With `interspersed == false` option parsing stops at the
    /// first operand, as `docker run` does (the rest is the container's command).
    pub fn operands(&self, words: &[Word], interspersed: bool) -> Operands {
        let mut found = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let word = &words[i];
            // Options are matched on their literal start (`--name=$NAME`); a word starting
            // with a variable is an operand (`"$IMAGE"`, `${IMAGE:-nginx}`).
            let text = match word.expansions.first() {
                Some(e) => &word.text[..e.range.start],
                None => word.text.as_str(),
            };
            let is_option = text.len() > 1 && text.starts_with('-');
            if !is_option {
                found.push(i);
                if !interspersed {
                    found.extend(i + 1..words.len());
                    return Operands::Known(found);
                }
                i += 1;
                continue;
            }
            if word.literal_dollar {
                return Operands::Uncertain;
            }
            let has_variable = !word.expansions.is_empty();
            if text == "--" && !has_variable {
                found.extend(i + 1..words.len());
                return Operands::Known(found);
            }
            if let Some(long) = text.strip_prefix("--") {
                if long.contains('=') || (!has_variable && self.long_flags.contains(&long)) {
                    i += 1;
                } else if !has_variable && self.long_values.contains(&long) {
                    i += 2;
                } else {
                    return Operands::Uncertain;
                }
                continue;
            }
            match self.short_group(&text[1..]) {
                // `-e$FOO`: the value is attached.
                Some(takes_next) => i += 1 + usize::from(takes_next && !has_variable),
                None => return Operands::Uncertain,
            }
        }
        Operands::Known(found)
    }

    /// A group of single-letter options (`it`, `dp80:80`): whether the next word is the value
    /// of its last option; `None` when a letter is unknown.
    fn short_group(&self, letters: &str) -> Option<bool> {
        for (i, c) in letters.char_indices() {
            if self.short_values.contains(c) {
                return Some(i + c.len_utf8() == letters.len());
            }
            if !self.short_flags.contains(c) {
                return None;
            }
        }
        Some(false)
    }

    /// The value of option `long` (or `short`) at word `i`, if word `i` is that option: the
    /// value's word and the byte where the value starts in it.
    pub fn value_at<'w>(
        words: &'w [Word],
        i: usize,
        long: &str,
        short: Option<char>,
    ) -> Option<(&'w Word, usize)> {
        let text = words[i].literal().or_else(|| {
            // `--tag=${IMG}`: the option is literal, the value is not.
            let t = words[i].text.as_str();
            (t.starts_with("--") || t.starts_with('-')).then_some(t)
        })?;
        if let Some(rest) = text.strip_prefix("--") {
            if rest == long {
                return words.get(i + 1).map(|w| (w, 0));
            }
            let value = rest.strip_prefix(long)?.strip_prefix('=')?;
            return Some((&words[i], text.len() - value.len()));
        }
        let short = short?;
        let rest = text.strip_prefix('-')?.strip_prefix(short)?;
        if rest.is_empty() {
            return words.get(i + 1).map(|w| (w, 0));
        }
        let offset = text.len() - rest.len() + usize::from(rest.starts_with('='));
        Some((&words[i], offset))
    }
}

/// Global options of `docker`, `podman` and `nerdctl`, before the subcommand.
#[rustfmt::skip]
pub const ENGINE: Options = Options {
    short_values: "acHln",
    short_flags: "Dr",
    long_values: &[
        "address", "bridge-ip", "cgroup-manager", "cni-config-dir", "cni-netconfpath",
        "cni-path", "config", "conmon", "connection", "context", "data-root", "db-backend",
        "events-backend", "hooks-dir", "host", "host-gateway-ip", "hosts-dir", "identity",
        "imagestore", "log-level", "module", "namespace", "network-cmd-path",
        "network-config-dir", "out", "registries-conf", "root", "runroot", "runtime",
        "runtime-flag", "snapshotter", "ssh", "storage-driver", "storage-opt", "tlscacert",
        "tlscert", "tlskey", "tmpdir", "url", "volumepath",
    ],
    long_flags: &[
        "debug", "debug-full", "experimental", "insecure-registry", "kube-hide-dupe", "noout",
        "remote", "syslog", "tls", "tlsverify", "transient-store",
    ],
};

/// `docker run` / `create`, with podman's and nerdctl's extra options. `--rootfs` (podman) is
/// left out on purpose: with it the operand is a directory, not an image.
#[rustfmt::skip]
pub const RUN: Options = Options {
    short_values: "acehlmpuvw",
    short_flags: "dtiPq",
    long_values: &[
        "add-host", "annotation", "arch", "attach", "authfile", "blkio-weight",
        "blkio-weight-device", "cap-add", "cap-drop", "cgroup-conf", "cgroup-parent",
        "cgroupns", "cgroups", "chrootdirs", "cidfile", "conmon-pidfile", "cpu-count",
        "cpu-percent", "cpu-period", "cpu-quota", "cpu-rt-period", "cpu-rt-runtime",
        "cpu-shares", "cpus", "cpuset-cpus", "cpuset-mems", "decryption-key", "detach-keys",
        "device", "device-cgroup-rule", "device-read-bps", "device-read-iops",
        "device-write-bps", "device-write-iops", "dns", "dns-opt", "dns-option", "dns-search",
        "domainname", "entrypoint", "env", "env-file", "env-merge", "expose", "gidmap", "gpus",
        "group-add", "group-entry", "health-cmd", "health-interval", "health-log-destination",
        "health-max-log-count", "health-max-log-size", "health-on-failure", "health-retries",
        "health-start-interval", "health-start-period", "health-startup-cmd",
        "health-startup-interval", "health-startup-retries", "health-startup-success",
        "health-startup-timeout", "health-timeout", "hostname", "hosts-file", "hostuser",
        "image-volume", "init-path", "io-maxbandwidth", "io-maxiops", "ip", "ip6", "ipc",
        "isolation", "kernel-memory", "label", "label-file", "link", "link-local-ip",
        "log-driver", "log-opt", "mac-address", "memory", "memory-reservation", "memory-swap",
        "memory-swappiness", "mount", "name", "net", "net-alias", "network", "network-alias",
        "oom-score-adj", "os", "passwd-entry", "personality", "pid", "pidfile", "pids-limit",
        "platform", "pod", "pod-id-file", "preserve-fd", "preserve-fds", "publish", "pull",
        "rdt-class", "requires", "restart", "retry", "retry-delay", "runtime", "sdnotify",
        "seccomp-policy", "secret", "security-opt", "shm-size", "shm-size-systemd",
        "signature-policy", "stop-signal", "stop-timeout", "storage-opt", "subgidname",
        "subuidname", "sysctl", "systemd", "timeout", "tmpfs", "tz", "uidmap", "ulimit",
        "umask", "unsetenv", "user", "userns", "uts", "variant", "volume", "volume-driver",
        "volumes-from", "workdir",
    ],
    long_flags: &[
        "detach", "disable-content-trust", "env-host", "help", "http-proxy", "init",
        "interactive", "no-healthcheck", "no-hosts", "oom-kill-disable", "passwd", "privileged",
        "publish-all", "quiet", "read-only", "read-only-tmpfs", "replace", "rm", "rmi",
        "sig-proxy", "tls-verify", "tty", "unsetenv-all", "use-api-socket",
    ],
};

/// `docker pull` / `podman pull`.
#[rustfmt::skip]
pub const PULL: Options = Options {
    short_values: "",
    short_flags: "aq",
    long_values: &[
        "arch", "authfile", "cert-dir", "creds", "decryption-key", "os", "platform", "policy",
        "retry", "retry-delay", "signature-policy", "variant",
    ],
    long_flags: &[
        "all-tags", "disable-content-trust", "help", "quiet", "tls-verify",
    ],
};

/// `docker push` / `podman push`.
#[rustfmt::skip]
pub const PUSH: Options = Options {
    short_values: "f",
    short_flags: "aq",
    long_values: &[
        "authfile", "cert-dir", "compression-format", "compression-level", "creds",
        "digestfile", "encrypt-layer", "encryption-key", "format", "platform", "retry",
        "retry-delay", "sign-by", "sign-by-sigstore", "sign-by-sigstore-private-key",
        "sign-passphrase-file", "signature-policy",
    ],
    long_flags: &[
        "all-tags", "compress", "disable-content-trust", "force-compression", "help", "quiet",
        "remove-signatures", "tls-verify",
    ],
};

/// `docker tag` / `podman tag`: no options to speak of.
#[rustfmt::skip]
pub const TAG: Options = Options {
    short_values: "",
    short_flags: "",
    long_values: &[],
    long_flags: &["help"],
};

/// `ctr` global options, then `ctr images pull` options.
#[rustfmt::skip]
pub const CTR: Options = Options {
    short_values: "an",
    short_flags: "",
    long_values: &["address", "connect-timeout", "namespace", "timeout"],
    long_flags: &["debug"],
};

#[rustfmt::skip]
pub const CTR_PULL: Options = Options {
    short_values: "u",
    short_flags: "k",
    long_values: &[
        "hosts-dir", "label", "max-concurrent-downloads", "max-concurrent-uploaded-layers",
        "platform", "refresh", "snapshotter", "tlscacert", "tlscert", "tlskey", "user",
    ],
    long_flags: &[
        "all-metadata", "all-platforms", "http-dump", "http-trace", "local", "plain-http",
        "print-chainid", "skip-metadata", "skip-verify",
    ],
};

/// `crictl` global options, then `crictl pull` options.
#[rustfmt::skip]
pub const CRICTL: Options = Options {
    short_values: "citr",
    short_flags: "D",
    long_values: &["config", "image-endpoint", "runtime-endpoint", "timeout"],
    long_flags: &["debug"],
};

#[rustfmt::skip]
pub const CRICTL_PULL: Options = Options {
    short_values: "apu",
    short_flags: "",
    long_values: &[
        "annotation", "auth", "creds", "platform", "pod-config", "username",
    ],
    long_flags: &[],
};

/// `crane` (global options and those of `copy` and `pull`).
#[rustfmt::skip]
pub const CRANE: Options = Options {
    short_values: "cj",
    short_flags: "anv",
    long_values: &["cache_path", "format", "jobs", "platform"],
    long_flags: &[
        "all-tags", "allow-nondistributable-artifacts", "annotate-ref", "insecure",
        "no-clobber", "verbose",
    ],
};

/// `kubectl` global options and those of `set image`.
#[rustfmt::skip]
pub const KUBECTL: Options = Options {
    short_values: "fklnosv",
    short_flags: "R",
    long_values: &[
        "as", "as-group", "as-uid", "cache-dir", "certificate-authority", "client-certificate",
        "client-key", "cluster", "context", "field-manager", "filename", "kubeconfig",
        "kustomize", "namespace", "output", "password", "request-timeout", "selector", "server",
        "template", "tls-server-name", "token", "user", "username", "v",
    ],
    long_flags: &[
        "all", "allow-missing-template-keys", "dry-run", "insecure-skip-tls-verify", "local",
        "record", "recursive", "show-managed-fields", "warnings-as-errors",
    ],
};

/// `kind load docker-image` and `minikube image load`.
#[rustfmt::skip]
pub const LOAD: Options = Options {
    short_values: "p",
    short_flags: "",
    long_values: &["name", "nodes", "profile"],
    long_flags: &["daemon", "overwrite", "pull", "remote"],
};

/// `sudo`'s options, before the command it runs.
#[rustfmt::skip]
pub const SUDO: Options = Options {
    short_values: "CDghprRtTuU",
    short_flags: "AbEHiklnPsSv",
    long_values: &[
        "chdir", "chroot", "close-from", "group", "host", "other-user", "prompt", "role",
        "type", "user", "command-timeout",
    ],
    long_flags: &[
        "askpass", "background", "login", "non-interactive", "preserve-env", "preserve-groups",
        "reset-timestamp", "set-home", "shell", "stdin",
    ],
};

#[cfg(test)]
mod tests {
    use super::super::lex::{commands, Dialect};
    use super::*;

    fn operands(line: &str, options: &Options, interspersed: bool) -> Option<Vec<String>> {
        let command = commands(line, Dialect::Shell).remove(0);
        match options.operands(&command.words, interspersed) {
            Operands::Known(found) => Some(
                found
                    .into_iter()
                    .map(|i| command.words[i].text.clone())
                    .collect(),
            ),
            Operands::Uncertain => None,
        }
    }

    #[test]
    fn values_of_options_are_not_operands() {
        let line = "-v a:b --name x -e K=V --network host -p 80:80 -it --rm nginx sh -c 'x'";
        assert_eq!(
            operands(line, &RUN, false).unwrap()[0],
            "nginx",
            "first operand"
        );
        assert_eq!(operands("-dp80:80 nginx", &RUN, false).unwrap()[0], "nginx");
        assert_eq!(operands("-ite X nginx", &RUN, false).unwrap()[0], "nginx");
        assert_eq!(
            operands("--platform=linux/amd64 nginx", &RUN, false).unwrap()[0],
            "nginx"
        );
    }

    #[test]
    fn unknown_options_and_variables_make_operands_uncertain() {
        assert_eq!(operands("--frobnicate x nginx", &RUN, false), None);
        assert_eq!(operands("-Z nginx", &RUN, false), None);
        // A variable operand: the words after it are the container's command.
        assert_eq!(operands("$OPTS nginx", &RUN, false).unwrap()[0], "$OPTS");
        assert_eq!(
            operands("--name=$N -e$E \"$IMAGE\" x", &RUN, false).unwrap()[0],
            "$IMAGE"
        );
        assert_eq!(operands("--rootfs /srv/root cmd", &RUN, false), None);
        assert_eq!(
            operands("--frobnicate=x nginx", &RUN, false),
            Some(vec!["nginx".to_owned()])
        );
    }

    #[test]
    fn values_are_found_in_every_spelling() {
        let command = commands("-t a --tag=b -tc --tag d", Dialect::Shell).remove(0);
        let values: Vec<String> = (0..command.words.len())
            .filter_map(|i| Options::value_at(&command.words, i, "tag", Some('t')))
            .map(|(w, at)| w.text[at..].to_owned())
            .collect();
        assert_eq!(values, ["a", "b", "c", "d"]);
    }
}
