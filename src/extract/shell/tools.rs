//! Extract stage, shell: the image operands of tools other than the container engines —
//! `kubectl`, `ctr`, `crictl`, `skopeo`, `crane`, `kind` and `minikube`.

use super::bodies::Consumer;
use super::commands::{known, Ctx};
use super::lex::Word;
use super::options::{Operands, Options, CRANE, CRICTL, CRICTL_PULL, CTR, CTR_PULL, KUBECTL, LOAD};
use super::refs;
use crate::extract::Role;

/// Transports `skopeo` accepts; only `docker://` names a registry image.
const TRANSPORTS: &[&str] = &[
    "docker://",
    "docker-archive:",
    "docker-daemon:",
    "oci:",
    "oci-archive:",
    "dir:",
    "containers-storage:",
    "sif:",
    "ostree:",
];

impl Ctx<'_> {
    /// `kubectl run|create deployment|debug … --image=IMAGE`, `kubectl set image … C=IMAGE`;
    /// `kubectl apply|create|replace -f -` reads YAML from its input.
    pub(super) fn kubectl(&mut self, args: &[Word], statement: usize) -> Option<Consumer> {
        let Operands::Known(operands) = KUBECTL.operands(args, false) else {
            return None;
        };
        let first = *operands.first()?;
        let rest = &args[first + 1..];
        let next = rest.first().and_then(Word::literal);
        match (args[first].literal()?, next) {
            ("run" | "debug", _) | ("create", Some("deployment" | "deploy")) => {
                let end = rest.iter().position(|w| w.is("--")).unwrap_or(rest.len());
                for i in 0..end {
                    if let Some((word, at)) = Options::value_at(&rest[..end], i, "image", None) {
                        self.reference(&word.tail(at), statement, Role::Pull);
                    }
                }
                None
            }
            ("set", Some("image")) => {
                for i in known(KUBECTL.operands(&rest[1..], true)) {
                    self.container_image(&rest[1 + i], statement);
                }
                None
            }
            ("apply" | "create" | "replace", _) => {
                reads_stdin(rest, "filename", Some('f')).then_some(Consumer::Yaml)
            }
            _ => None,
        }
    }

    /// `CONTAINER=IMAGE` (or `*=IMAGE`) in `kubectl set image`.
    fn container_image(&mut self, word: &Word, statement: usize) {
        let Some(eq) = word.literal().and_then(|t| t.find('=')).or_else(|| {
            let eq = word.text.find('=')?;
            word.expansions
                .first()
                .is_none_or(|e| e.range.start > eq)
                .then_some(eq)
        }) else {
            return;
        };
        let container = &word.text[..eq];
        let is_container = container == "*"
            || (!container.is_empty()
                && container
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
        if is_container {
            self.reference(&word.tail(eq + 1), statement, Role::Pull);
        }
    }

    /// `ctr [-n NS] images|image|i pull [options] REF`.
    pub(super) fn ctr(&mut self, args: &[Word], statement: usize) -> Option<Consumer> {
        let operands = known(CTR.operands(args, false));
        let &first = operands.first()?;
        let rest = &args[first + 1..];
        let group = args[first].literal()?;
        let is_pull = matches!(group, "images" | "image" | "i")
            && rest.first().and_then(Word::literal) == Some("pull");
        if is_pull {
            let pulled = known(CTR_PULL.operands(&rest[1..], true));
            if let Some(&i) = pulled.first() {
                self.reference(&rest[1 + i], statement, Role::Pull);
            }
        }
        None
    }

    /// `crictl [options] pull [options] IMAGE`.
    pub(super) fn crictl(&mut self, args: &[Word], statement: usize) -> Option<Consumer> {
        let operands = known(CRICTL.operands(args, false));
        let &first = operands.first()?;
        if args[first].literal() == Some("pull") {
            let rest = &args[first + 1..];
            if let Some(&i) = known(CRICTL_PULL.operands(rest, true)).first() {
                self.reference(&rest[i], statement, Role::Pull);
            }
        }
        None
    }

    /// `skopeo copy SRC DST` / `skopeo inspect IMAGE`: `docker://` operands; a copy's
    /// destination is the project's own.
    pub(super) fn skopeo(&mut self, args: &[Word], statement: usize) -> Option<Consumer> {
        let sub = args.iter().position(|w| w.is("copy") || w.is("inspect"))?;
        let copying = args[sub].is("copy");
        let operands: Vec<&Word> = args[sub + 1..]
            .iter()
            .filter(|w| TRANSPORTS.iter().any(|t| w.text.starts_with(t)))
            .collect();
        for (position, word) in operands.into_iter().enumerate().take(2) {
            let Some(rest) = word.text.strip_prefix("docker://") else {
                continue;
            };
            let image = word.tail(word.text.len() - rest.len());
            match (copying, position) {
                (true, 1) => self.own(&image, statement),
                (_, 0) => self.reference(&image, statement, Role::Pull),
                _ => {}
            }
        }
        None
    }

    /// `crane copy SRC DST` and `crane pull IMAGE… TARBALL`.
    pub(super) fn crane(&mut self, args: &[Word], statement: usize) -> Option<Consumer> {
        let operands = known(CRANE.operands(args, true));
        let (&first, rest) = operands.split_first()?;
        match args[first].literal()? {
            "copy" | "cp" => {
                if let [source, target] = rest[..] {
                    self.reference(&args[source], statement, Role::Pull);
                    self.own(&args[target], statement);
                }
            }
            "pull" => {
                if let Some((_, images)) = rest.split_last() {
                    for &i in images {
                        self.reference(&args[i], statement, Role::Pull);
                    }
                }
            }
            _ => {}
        }
        None
    }

    /// `kind load docker-image IMAGE…`: images loaded from the local engine (built there, or
    /// pulled earlier in the same file: the collector decides); `kind create cluster --image
    /// NODE` pulls the node image; `--config -` reads YAML from its input.
    pub(super) fn kind(&mut self, args: &[Word], statement: usize) -> Option<Consumer> {
        let subcommand = |a: &str, b: &str| {
            args.first().is_some_and(|w| w.is(a)) && args.get(1).is_some_and(|w| w.is(b))
        };
        if subcommand("load", "docker-image") {
            for i in known(LOAD.operands(&args[2..], true)) {
                self.load(&args[2 + i], statement);
            }
        } else if subcommand("build", "node-image") {
            // The node image is built here: `kindest/node:latest` unless `--image` says.
            let rest = &args[2..];
            let named = (0..rest.len())
                .find_map(|i| Options::value_at(rest, i, "image", None))
                .and_then(|(word, at)| {
                    refs::occurrence(&word.tail(at), statement, Role::Named, self.source)
                })
                .map(|o| o.image.canonical());
            self.out
                .own_images
                .push(named.unwrap_or_else(|| "docker.io/kindest/node:latest".to_owned()));
        } else if subcommand("create", "cluster") {
            let rest = &args[2..];
            for i in 0..rest.len() {
                if let Some((word, at)) = Options::value_at(rest, i, "image", None) {
                    self.reference(&word.tail(at), statement, Role::Pull);
                }
            }
            return reads_stdin(rest, "config", None).then_some(Consumer::Yaml);
        }
        None
    }

    /// `minikube image load IMAGE`: an image from the local engine, like `kind load`.
    pub(super) fn minikube(&mut self, args: &[Word], statement: usize) -> Option<Consumer> {
        if args.first().is_some_and(|w| w.is("image")) && args.get(1).is_some_and(|w| w.is("load"))
        {
            for i in known(LOAD.operands(&args[2..], true)) {
                self.load(&args[2 + i], statement);
            }
        }
        None
    }
}

/// Whether option `long`/`short` is given `-` (standard input).
fn reads_stdin(args: &[Word], long: &str, short: Option<char>) -> bool {
    (0..args.len()).any(|i| {
        Options::value_at(args, i, long, short).is_some_and(|(w, at)| w.text.get(at..) == Some("-"))
    })
}
