"""Synthetic Helm chart collection for bench/generate.py (`--mix chart`).

Shaped after a large public chart collection (measured on bitnami/charts at 5165628ae0, 4,200
files, 118 charts): per chart about 26 templates (a tenth of them workloads of ~16 KB, the
rest ~2 KB), a `_helpers.tpl`, NOTES.txt, a ~70 KB heavily commented values.yaml with split
image maps, a ~100 KB README of padded parameter tables and fenced commands, a ~75 KB
CHANGELOG, Chart.yaml/Chart.lock pulling a library chart from an OCI registry, .helmignore;
one chart in six has values.schema.json, one in six ships CRDs. The references regmig should
report come from the same places as there: Chart.yaml image annotations and dependencies,
Chart.lock, values.yaml image maps, the README's install command and the odd NOTES.txt.
All text here is written for the benchmark; nothing is copied from the measured tree.
"""
import json
import os

import crd

APPS = ("kestrel", "quarry", "lumen", "tessera", "brook", "anvil", "harbor", "cinder", "mosaic",
        "juniper", "osprey", "falcon", "lattice", "ember", "sable", "tundra", "willow", "zephyr",
        "garnet", "helix", "ion", "jade", "kite", "loom", "marble", "nimbus", "opal", "prism")
PARTS = ("server", "worker", "proxy", "exporter", "gateway", "scheduler", "agent", "backup")
ORG = "acme"
CHART_REPO = f"oci://registry-1.docker.io/{ORG}charts"
WORDS = ("configure the chart value service deployment replica pod container image registry "
         "repository tag digest volume secret ingress probe resource limit request node "
         "affinity toleration label annotation port metrics sidecar persistence storage class "
         "access mode password user database cluster upgrade rollback release namespace").split()


def prose(rng, words):
    return " ".join(rng.choices(WORDS, k=words)).capitalize() + "."


def version(rng):
    return f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 20)}"


def image_tag(rng):
    return f"{version(rng)}-debian-12-r{rng.randint(0, 60)}"


# ---- Chart metadata ---------------------------------------------------------------------

def chart_yaml(rng, name, images, deps):
    annotations = "".join(f"    - name: {n}\n      image: docker.io/{ORG}/{n}:{t}\n"
                          for n, t in images)
    dependencies = "".join(f"- condition: {d}.enabled\n  name: {d}\n  repository: {CHART_REPO}\n"
                           f"  version: {rng.randint(1, 20)}.x.x\n" for d in deps)
    return (f"# Synthetic chart for benchmarks.\n\nannotations:\n  category: Database\n"
            f"  images: |\n{annotations}  licenses: Apache-2.0\napiVersion: v2\n"
            f"appVersion: {version(rng)}\ndependencies:\n{dependencies}"
            f"description: {prose(rng, 30)}\nhome: https://example.com/{name}\n"
            f"keywords:\n- {name}\n- {rng.choice(WORDS)}\nmaintainers:\n- name: Benchmark authors\n"
            f"  url: https://example.com/charts\nname: {name}\n"
            f"sources:\n- https://example.com/charts/tree/main/{name}\nversion: {version(rng)}\n")


def chart_lock(rng, deps):
    entries = "".join(f"- name: {d}\n  repository: {CHART_REPO}\n  version: {version(rng)}\n"
                      for d in deps)
    return (f"dependencies:\n{entries}digest: sha256:{rng.getrandbits(256):064x}\n"
            f"generated: \"2025-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:00:00Z\"\n")


HELMIGNORE = ("# Patterns to ignore when building packages.\n.DS_Store\n.git/\n.gitignore\n"
              ".bzr/\n.hg/\n.svn/\n*.swp\n*.bak\n*.tmp\n*.orig\n*~\n.project\n.idea/\n"
              "*.tmproj\n.vscode/\n# CI files\nci/\n# README image assets\nimg/\n")


# ---- values.yaml ------------------------------------------------------------------------

def param_block(rng, prefix, key, value, indent):
    """One parameter: `## @param` doc comment lines, then the key."""
    pad = " " * indent
    doc = "".join(f"{pad}## {prose(rng, rng.randint(8, 16))}\n" for _ in range(rng.randint(0, 3)))
    return f"{pad}## @param {prefix}{key} {prose(rng, rng.randint(4, 10))}\n{doc}{pad}{key}: {value}\n"


def image_map(rng, prefix, name, indent):
    """A split image map: registry, repository, tag and digest as separate keys."""
    pad = " " * indent
    fields = [("registry", "docker.io"), ("repository", f"{ORG}/{name}"),
              ("tag", image_tag(rng)), ("digest", '""'), ("pullPolicy", "IfNotPresent"),
              ("pullSecrets", "[]")]
    doc = "".join(f"{pad}## @param {prefix}image.{k} {name} image {k}\n" for k, _ in fields)
    body = "".join(f"{pad}  {k}: {v}\n" for k, v in fields)
    return (f"{pad}## {name} image\n{pad}## ref: https://example.com/images/{name}\n{doc}"
            f"{pad}## Specify a imagePullPolicy\n{pad}##\n{pad}image:\n{body}")


def section(rng, prefix, indent, params):
    """A block of commented parameters: probes, resources, security contexts and the like."""
    pad = " " * indent
    out = []
    for i in range(params):
        key = f"{rng.choice(WORDS)}{rng.choice(WORDS).capitalize()}{i}"
        value = rng.choice(['""', "[]", "{}", "true", "false", str(rng.randint(1, 600)),
                            rng.choice(WORDS)])
        out.append(param_block(rng, prefix, key, value, indent))
        if rng.random() < 0.15:
            out.append(f"{pad}## e.g:\n" + "".join(
                f"{pad}## {k}: {rng.choice(WORDS)}\n" for k in rng.sample(WORDS, 3)))
        out.append(f"{pad}##\n")
    return "".join(out)


def values_yaml(rng, name, images, target):
    out = [f"## @section Global parameters\n## {prose(rng, 20)}\n##\n",
           "## @param global.imageRegistry Global container image registry\n",
           "## @param global.imagePullSecrets Global registry secret names as an array\n",
           "##\nglobal:\n  imageRegistry: \"\"\n  imagePullSecrets: []\n",
           "## @section Common parameters\n", section(rng, "", 0, 12)]
    size = sum(map(len, out))
    components = [(n, t) for n, t in images]
    per = max(1, len(components))
    for part, _ in components:
        block = [f"## @section {part} parameters\n##\n{part}:\n" if part != name else "",
                 image_map(rng, f"{part}." if part != name else "", part, 2 if part != name else 0),
                 section(rng, f"{part}.", 2 if part != name else 0,
                         max(10, int((target - size) / per / 260)))]
        out.extend(block)
    return "".join(out)


def schema_json(rng, name, images):
    def leaf(kind, default):
        return {"type": kind, "description": prose(rng, 8), "default": default}

    props = {}
    for part, tag in images:
        props[part] = {"type": "object", "properties": {
            "image": {"type": "object", "properties": {
                "registry": leaf("string", "docker.io"),
                "repository": leaf("string", f"{ORG}/{part}"),
                "tag": leaf("string", tag), "digest": leaf("string", "")}},
            **{f"{w}{i}": leaf("string", rng.choice(WORDS))
               for i, w in enumerate(rng.choices(WORDS, k=rng.randint(50, 100)))}}}
    return json.dumps({"$schema": "http://json-schema.org/schema#", "type": "object",
                       "properties": props}, indent=4) + "\n"


# ---- Docs -------------------------------------------------------------------------------

def table(rng, prefix, rows):
    """A parameter table padded to aligned columns, as doc generators write them."""
    cells = [(f"`{prefix}{rng.choice(WORDS)}{rng.choice(WORDS).capitalize()}`",
              prose(rng, rng.randint(4, 30)), f"`{rng.choice(['{}', '[]', 'true', '80', ''])}`")
             for _ in range(rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(3)]
    line = lambda c: "| " + " | ".join(v.ljust(w) for v, w in zip(c, widths)) + " |\n"
    return (line(("Name", "Description", "Value")) + "| " +
            " | ".join("-" * w for w in widths) + " |\n" + "".join(map(line, cells)))


def readme(rng, name, images, target):
    out = [f"# {name.capitalize()} packaged by the benchmark\n\n{prose(rng, 40)}\n\n",
           f"## TL;DR\n\n```console\nhelm install my-release {CHART_REPO}/{name}\n```\n\n"]
    size = sum(map(len, out))
    while size < target:
        r = rng.random()
        if r < 0.35:
            part = f"### {prose(rng, 4)}\n\n" + table(rng, f"{rng.choice(images)[0]}.", rng.randint(5, 40)) + "\n"
        elif r < 0.55:
            part = (f"```console\nhelm upgrade my-release REGISTRY_NAME/REPOSITORY_NAME/{name} "
                    f"--set {rng.choice(WORDS)}.enabled=true\nkubectl get pods -l app={name}\n```\n\n")
        elif r < 0.65:
            part = (f"```yaml\n{rng.choice(PARTS)}:\n  image:\n    registry: REGISTRY_NAME\n"
                    f"    repository: REPOSITORY_NAME/{name}\n  replicaCount: 2\n```\n\n")
        elif r < 0.652:
            part = f"```yaml\nimage: docker.io/{ORG}/{name}:latest\n```\n\n"
        else:
            part = "".join(f"{prose(rng, rng.randint(20, 60))}\n\n" for _ in range(3))
        out.append(part)
        size += len(part)
    return "".join(out)


def changelog(rng, name, target):
    out, size, n = [f"# Changelog\n\n"], 0, 0
    while size < target:
        n += 1
        entry = (f"## {version(rng)} (2025-0{rng.randint(1, 9)}-{rng.randint(10, 28)})\n\n" +
                 "".join(f"* [charts/{name}] {prose(rng, rng.randint(5, 12))} "
                         f"([#{rng.randint(10000, 40000)}](https://example.com/charts/pull/"
                         f"{rng.randint(10000, 40000)}))\n" for _ in range(rng.randint(1, 4))) + "\n")
        out.append(entry)
        size += len(entry)
    return "".join(out)


# ---- Templates --------------------------------------------------------------------------

def helpers(rng, name, images):
    out = [f"{{{{/* vim: set filetype=mustache: */}}}}\n"]
    for part, _ in images:
        out.append(f"{{{{/*\nReturn the proper {part} image name\n*/}}}}\n"
                   f"{{{{- define \"{name}.{part}.image\" -}}}}\n"
                   f"{{{{ include \"common.images.image\" (dict \"imageRoot\" .Values.{part}.image "
                   f"\"global\" .Values.global) }}}}\n{{{{- end -}}}}\n\n")
    while sum(map(len, out)) < 9000:
        key = rng.choice(WORDS)
        out.append(f"{{{{/*\n{prose(rng, 12)}\n*/}}}}\n{{{{- define \"{name}.{key}\" -}}}}\n"
                   f"{{{{- if .Values.{key}.enabled -}}}}\n"
                   f"{{{{- printf \"%s-{key}\" (include \"common.names.fullname\" .) | trunc 63 -}}}}\n"
                   f"{{{{- else -}}}}\n{{{{- .Values.{key}.name | default \"{key}\" -}}}}\n"
                   f"{{{{- end -}}}}\n{{{{- end -}}}}\n\n")
    return "".join(out)


def notes(rng, name):
    out = [f"CHART NAME: {{{{ .Chart.Name }}}}\nCHART VERSION: {{{{ .Chart.Version }}}}\n"
           f"APP VERSION: {{{{ .Chart.AppVersion }}}}\n\n** Please be patient while the chart "
           f"is being deployed **\n\n"]
    for _ in range(rng.randint(6, 14)):
        out.append(f"{{{{- if .Values.{rng.choice(WORDS)}.enabled }}}}\n\n{prose(rng, 25)}\n\n"
                   f"    kubectl get svc --namespace {{{{ .Release.Namespace }}}} "
                   f"{{{{ include \"common.names.fullname\" . }}}}\n\n{{{{- end }}}}\n")
    if rng.random() < 0.12:
        out.append(f"\n    helm upgrade --namespace {{{{ .Release.Namespace }}}} "
                   f"{{{{ .Release.Name }}}} {CHART_REPO}/{name} --set auth.password=$PASSWORD\n")
    return "".join(out)


def workload(rng, name, part):
    env = "".join(f"            - name: {rng.choice(WORDS).upper()}_{i}\n"
                  f"              value: {{{{ .Values.{part}.{rng.choice(WORDS)} | quote }}}}\n"
                  for i in range(rng.randint(30, 80)))
    probes = "".join(f"          {{{{- if .Values.{part}.{p}.enabled }}}}\n"
                     f"          {p}: {{{{- include \"common.tplvalues.render\" (dict \"value\" "
                     f"(omit .Values.{part}.{p} \"enabled\") \"context\" $) | nindent 12 }}}}\n"
                     f"            tcpSocket:\n              port: http\n          {{{{- end }}}}\n"
                     for p in ("livenessProbe", "readinessProbe", "startupProbe"))
    init = (f"      initContainers:\n        {{{{- if .Values.volumePermissions.enabled }}}}\n"
            f"        - name: volume-permissions\n"
            f"          image: {{{{ include \"{name}.volumePermissions.image\" . }}}}\n"
            f"          imagePullPolicy: {{{{ .Values.volumePermissions.image.pullPolicy | quote }}}}\n"
            f"          command: [\"/bin/bash\", \"-ec\", \"chown -R 1001:1001 /data\"]\n"
            f"        {{{{- end }}}}\n")
    return (f"apiVersion: {{{{ include \"common.capabilities.statefulset.apiVersion\" . }}}}\n"
            f"kind: StatefulSet\nmetadata:\n  name: {{{{ include \"common.names.fullname\" . }}}}-{part}\n"
            f"  namespace: {{{{ include \"common.names.namespace\" . | quote }}}}\n"
            f"  labels: {{{{- include \"common.labels.standard\" . | nindent 4 }}}}\n"
            f"spec:\n  replicas: {{{{ .Values.{part}.replicaCount }}}}\n  template:\n"
            f"    spec:\n      {{{{- include \"{name}.imagePullSecrets\" . | nindent 6 }}}}\n"
            f"{init}      containers:\n        - name: {part}\n"
            f"          image: {{{{ template \"{name}.{part}.image\" . }}}}\n"
            f"          imagePullPolicy: {{{{ .Values.{part}.image.pullPolicy | quote }}}}\n"
            f"          env:\n{env}{probes}"
            f"          {{{{- if .Values.{part}.resources }}}}\n"
            f"          resources: {{{{- toYaml .Values.{part}.resources | nindent 12 }}}}\n"
            f"          {{{{- end }}}}\n")


def small_template(rng, name, kind):
    keys = "".join(f"  {{{{- if .Values.{rng.choice(WORDS)}.{rng.choice(WORDS)} }}}}\n"
                   f"  {rng.choice(WORDS)}: {{{{ .Values.{rng.choice(WORDS)} | quote }}}}\n"
                   f"  {{{{- end }}}}\n" for _ in range(rng.randint(4, 38)))
    return (f"{{{{- if .Values.{rng.choice(WORDS)}.enabled }}}}\napiVersion: v1\nkind: {kind}\n"
            f"metadata:\n  name: {{{{ include \"common.names.fullname\" . }}}}\n"
            f"  namespace: {{{{ include \"common.names.namespace\" . | quote }}}}\n"
            f"  labels: {{{{- include \"common.labels.standard\" . | nindent 4 }}}}\n"
            f"spec:\n{keys}{{{{- end }}}}\n")


def template(rng, name, images):
    r = rng.random()
    if r < 0.10:
        return workload(rng, name, rng.choice(images)[0])
    if r < 0.11:  # the odd dashboard config map, hundreds of KB
        return small_template(rng, name, "ConfigMap") + "data:\n" + "".join(
            f"  panel{i}.json: '{{\"title\": \"{prose(rng, 6)}\", \"span\": {i}}}'\n"
            for i in range(rng.randint(1000, 3000)))
    return small_template(rng, name, rng.choice(
        ["Service", "ConfigMap", "Secret", "Role", "RoleBinding", "NetworkPolicy", "Ingress",
         "PodDisruptionBudget", "ServiceMonitor", "HorizontalPodAutoscaler"]))


# ---- A chart ----------------------------------------------------------------------------

def chart_files(rng, name):
    """Yields (relative path, text) for one chart, about 35 files."""
    parts = [name] + rng.sample(PARTS, rng.randint(1, 3))
    images = [(p, image_tag(rng)) for p in parts]
    deps = ["common"] + rng.sample(["postgresql", "redis", "valkey", "mariadb"],
                                   rng.choices([0, 1, 2], [50, 40, 10])[0])
    yield "Chart.yaml", chart_yaml(rng, name, images, deps)
    yield "Chart.lock", chart_lock(rng, deps)
    yield ".helmignore", HELMIGNORE
    yield "values.yaml", values_yaml(rng, name, images, int(rng.uniform(25_000, 115_000)))
    if rng.random() < 0.17:
        yield "values.schema.json", schema_json(rng, name, images)
    yield "README.md", readme(rng, name, images, int(rng.uniform(40_000, 175_000)))
    yield "CHANGELOG.md", changelog(rng, name, int(rng.uniform(20_000, 130_000)))
    yield "templates/_helpers.tpl", helpers(rng, name, images)
    yield "templates/NOTES.txt", notes(rng, name)
    if rng.random() < 0.3:
        yield f"templates/{rng.choice(PARTS)}/_init.tpl", helpers(rng, name, images[:1])
    for i in range(rng.randint(6, 45)):
        sub = f"{rng.choice(parts)}/" if rng.random() < 0.4 else ""
        yield f"templates/{sub}{rng.choice(WORDS)}-{i}.yaml", template(rng, name, images)
    if rng.random() < 0.17:
        for i in range(rng.randint(2, 10)):
            yield f"crds/{rng.choice(WORDS)}-{i}.yaml", crd.crd(rng, crd.crd_size(rng, 12_000, 600, 2.3))


def generate(count, out, rng):
    """Charts until the tree holds about `count` files, plus the repository's own files."""
    written, n = 0, 0
    files = [(".github/workflows/ci.yml", "name: ci\non: [pull_request]\njobs:\n  lint:\n"
              "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"),
             ("README.md", f"# Charts\n\n{prose(rng, 60)}\n"), ("LICENSE.md", prose(rng, 400))]
    for path, text in files:
        write(out, path, text)
        written += 1
    while written < count:
        name = f"{APPS[n % len(APPS)]}{'' if n < len(APPS) else n // len(APPS)}"
        n += 1
        if rng.random() < 0.15:  # a deprecated chart keeps only its README
            write(out, f"charts/{name}/README.md", f"# {name}\n\n{prose(rng, 60)}\n")
            written += 1
            continue
        for path, text in chart_files(rng, name):
            write(out, f"charts/{name}/{path}", text)
            written += 1
            if written >= count:
                break


def write(out, path, text):
    path = os.path.join(out, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
