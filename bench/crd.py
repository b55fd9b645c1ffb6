"""Synthetic CustomResourceDefinitions for bench/generate.py: large OpenAPI schemas.

Operator CRDs are the biggest YAML files in most repositories, and they say `image`
everywhere without holding a single reference: `image:` keys whose value is a schema mapping,
`imagePullPolicy`, and descriptions about container images. The bulk of a real CRD is an
embedded pod spec repeated for every component, so that is what this one repeats too.
All text here is written for the benchmark.
"""
import math

SUBJECTS = ("the controller", "this field", "the operator", "each replica", "the sidecar",
            "the init container", "a rollout", "the scheduler", "the webhook", "the backup job")
VERBS = ("uses", "overrides", "selects", "ignores", "copies", "restarts", "mounts", "watches",
         "pins", "validates")
OBJECTS = ("the container image", "the image pull policy", "the pull secret", "the volume",
           "the service account", "the probe", "the node selector", "the resource limits",
           "the image tag", "the image digest", "the config map", "the TLS secret")
TAILS = ("when it is set.", "unless the cluster default applies.", "before the pod starts.",
         "and falls back to the default otherwise.", "for every new revision.",
         "only on creation; later changes are ignored.", "as described in the image docs.",
         "if the image is built FROM a scratch base.", "when the upgrade strategy allows it.")


def sentence(rng):
    return (f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} "
            f"{rng.choice(OBJECTS)} {rng.choice(TAILS)}")


def description(rng, indent):
    """A `description:` entry, folded over several lines when long, as controller-gen does."""
    pad = " " * indent
    words = " ".join(sentence(rng) for _ in range(rng.randint(1, 4))).split()
    lines, line = [], []
    for w in words:
        line.append(w)
        if len(line) >= 12:
            lines.append(" ".join(line))
            line = []
    if line:
        lines.append(" ".join(line))
    if len(lines) == 1:
        return f"{pad}description: {lines[0]}\n"
    return f"{pad}description: |-\n" + "".join(f"{pad}  {l}\n" for l in lines)


def scalar(rng, name, indent, kind="string", extra=""):
    pad = " " * indent
    return f"{pad}{name}:\n{description(rng, indent + 2)}{extra}{pad}  type: {kind}\n"


def container(rng, indent):
    """The schema of one container: where `image` and `imagePullPolicy` live."""
    pad = " " * indent
    out = [f"{pad}description: A single application container in the pod.\n",
           f"{pad}properties:\n"]
    p = indent + 2
    out.append(scalar(rng, "args", p, "array", f"{' ' * p}  items:\n{' ' * p}    type: string\n"))
    out.append(scalar(rng, "command", p, "array", f"{' ' * p}  items:\n{' ' * p}    type: string\n"))
    out.append(env(rng, p))
    out.append(scalar(rng, "image", p))
    out.append(scalar(rng, "imagePullPolicy", p, "string",
                      f"{' ' * p}  enum:\n{' ' * p}  - Always\n{' ' * p}  - IfNotPresent\n"
                      f"{' ' * p}  - Never\n"))
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        out.append(probe_schema(rng, probe, p))
    out.append(scalar(rng, "name", p))
    out.append(ports(rng, p))
    out.append(resources(rng, p))
    out.append(security_context(rng, p))
    out.append(scalar(rng, "workingDir", p))
    out.append(f"{pad}required:\n{pad}- name\n{pad}type: object\n")
    return "".join(out)


def env(rng, indent):
    pad = " " * indent
    return (f"{pad}env:\n{description(rng, indent + 2)}{pad}  items:\n"
            f"{pad}    properties:\n" + scalar(rng, "name", indent + 6) +
            scalar(rng, "value", indent + 6) +
            f"{pad}    required:\n{pad}    - name\n{pad}    type: object\n{pad}  type: array\n")


def probe_schema(rng, name, indent):
    pad = " " * indent
    inner = "".join(scalar(rng, f, indent + 4, "integer", f"{' ' * (indent + 4)}  format: int32\n")
                    for f in ("failureThreshold", "initialDelaySeconds", "periodSeconds",
                              "successThreshold", "timeoutSeconds"))
    return (f"{pad}{name}:\n{description(rng, indent + 2)}{pad}  properties:\n{inner}"
            f"{pad}  type: object\n")


def ports(rng, indent):
    pad = " " * indent
    return (f"{pad}ports:\n{description(rng, indent + 2)}{pad}  items:\n{pad}    properties:\n" +
            scalar(rng, "containerPort", indent + 6, "integer") +
            scalar(rng, "protocol", indent + 6) +
            f"{pad}    type: object\n{pad}  type: array\n")


def resources(rng, indent):
    pad = " " * indent
    quantity = (f"{pad}      anyOf:\n{pad}      - type: integer\n{pad}      - type: string\n"
                f"{pad}      x-kubernetes-int-or-string: true\n")
    return (f"{pad}resources:\n{description(rng, indent + 2)}{pad}  properties:\n"
            f"{pad}    limits:\n{description(rng, indent + 6)}{pad}      additionalProperties:\n"
            f"{quantity}{pad}      type: object\n"
            f"{pad}    requests:\n{description(rng, indent + 6)}{pad}      additionalProperties:\n"
            f"{quantity}{pad}      type: object\n{pad}  type: object\n")


def security_context(rng, indent):
    pad = " " * indent
    inner = "".join(scalar(rng, f, indent + 4, "boolean")
                    for f in ("allowPrivilegeEscalation", "privileged", "readOnlyRootFilesystem",
                              "runAsNonRoot"))
    return (f"{pad}securityContext:\n{description(rng, indent + 2)}{pad}  properties:\n{inner}"
            f"{pad}  type: object\n")


def component(rng, name, indent, pods):
    """One component of the custom resource: its own image map and, in big CRDs, a pod
    template's containers (~17 KB each)."""
    pad = " " * indent
    p = indent + 4
    out = [f"{pad}{name}:\n", description(rng, indent + 2), f"{pad}  properties:\n"]
    # An image written as a mapping of schema fields: `image:` with a mapping value.
    out.append(f"{' ' * p}image:\n{description(rng, p + 2)}{' ' * p}  properties:\n")
    for field in ("registry", "repository", "tag", "digest", "pullPolicy"):
        out.append(scalar(rng, field, p + 4))
    out.append(f"{' ' * p}  type: object\n")
    out.append(scalar(rng, "replicas", p, "integer"))
    out.append(probe_schema(rng, "updateStrategy", p))
    if pods:
        list_name = rng.choice(["containers", "initContainers", "sidecars"])
        out.append(f"{' ' * p}{list_name}:\n{description(rng, p + 2)}{' ' * p}  items:\n")
        out.append(container(rng, p + 4))
        out.append(f"{' ' * p}  type: array\n")
    out.append(f"{pad}  type: object\n")
    return "".join(out)


def crd(rng, target_bytes):
    """A CustomResourceDefinition of roughly `target_bytes`: components are added until the
    schema is that large."""
    group = f"{rng.choice(['data', 'mesh', 'cache', 'ops', 'auth'])}.example.dev"
    kind = rng.choice(["Cluster", "Pool", "Backup", "Gateway", "Tenant", "Pipeline", "Policy"])
    head = (f"---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
            f"metadata:\n  annotations:\n    controller-gen.kubebuilder.io/version: v0.16.{rng.randint(0, 5)}\n"
            f"  name: {kind.lower()}s.{group}\nspec:\n  group: {group}\n  names:\n"
            f"    kind: {kind}\n    listKind: {kind}List\n    plural: {kind.lower()}s\n"
            f"    singular: {kind.lower()}\n  scope: Namespaced\n  versions:\n"
            f"  - name: v1\n    schema:\n      openAPIV3Schema:\n{description(rng, 8)}"
            f"        properties:\n          apiVersion:\n{description(rng, 12)}"
            f"            type: string\n          spec:\n{description(rng, 12)}"
            f"            properties:\n")
    parts, size, i = [head], len(head), 0
    while size < target_bytes:
        name = f"{rng.choice(['server', 'worker', 'proxy', 'exporter', 'backup'])}{i}"
        part = component(rng, name, 14, target_bytes - size > 20_000)
        parts.append(part)
        size += len(part)
        i += 1
    parts.append("            type: object\n        type: object\n    served: true\n"
                 "    storage: true\n    subresources:\n      status: {}\n")
    return "".join(parts)


def crd_size(rng, median, low, sigma=2.0):
    """Sizes spread like operator CRDs: a long tail up to 1.3 MB (the largest measured)."""
    return max(low, min(1_300_000, int(rng.lognormvariate(math.log(median), sigma))))
