//! Extract stage, shared: the words searched for in every file, each with a finder built once
//! (building a finder costs more than searching most files for it).

use std::sync::LazyLock;

use memchr::memmem::{FindIter, Finder};

pub(crate) struct Needle {
    finder: LazyLock<Finder<'static>>,
}

impl Needle {
    pub(crate) fn find(&self, bytes: &[u8]) -> Option<usize> {
        self.finder.find(bytes)
    }

    pub(crate) fn is_in(&self, bytes: &[u8]) -> bool {
        self.find(bytes).is_some()
    }

    pub(crate) fn find_iter<'h>(&'static self, bytes: &'h [u8]) -> FindIter<'h, 'static> {
        self.finder.find_iter(bytes)
    }
}

macro_rules! needles {
    ($($name:ident = $word:expr;)*) => {
        $(
            pub(crate) static $name: Needle = Needle {
                finder: LazyLock::new(|| Finder::new($word)),
            };
        )*
    };
}

needles! {
    IMAGE = "image";
    IMAGE_CAPITAL = "Image";
    OCI_SCHEME = super::charts::OCI;
    OCI = "oci:";
    REPO_URL = "repoURL";
    CONTAINER = "container";
    DOCKER_SCHEME = "docker://";
    SERVICES = "services";
    BACKTICK_FENCE = "```";
    TILDE_FENCE = "~~~";
    SUPPRESSION = "regmig:";
    BOM = "\u{feff}";
    DOCKER = "docker";
    PODMAN = "podman";
    NERDCTL = "nerdctl";
    CTR = "ctr";
    CRICTL = "crictl";
    SKOPEO = "skopeo";
    CRANE = "crane";
    KIND = "kind";
    MINIKUBE = "minikube";
}

/// Tools whose operands are images (`kubectl` and `oc` need `image` in any case).
pub(crate) static TOOLS: [&Needle; 9] = [
    &DOCKER, &PODMAN, &NERDCTL, &CTR, &CRICTL, &SKOPEO, &CRANE, &KIND, &MINIKUBE,
];
