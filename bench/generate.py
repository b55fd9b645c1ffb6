#!/usr/bin/env python3
"""Generates a deterministic synthetic monorepo for benchmarking regmig.

    python3 bench/generate.py FILES OUTDIR [--seed N] [--mix default|crd|chart]

The mix follows what platform repositories hold: mostly source code and docs, with
Kubernetes manifests, Helm charts, Dockerfiles, Compose, CI and Terraform files among them.
Some files reference Docker Hub images, some reference other registries, and much source
code and documentation mentions the words `image` and `FROM` without being a reference.

Mixes (the same seed always gives the same tree):
  default  the platform monorepo above;
  crd      the same, plus CustomResourceDefinitions (one file in 25; 15 KB to 1.3 MB, median
           ~40 KB) in deploy/*/crds — big YAML saying `image` everywhere
           without one reference (bench/crd.py);
  chart    a chart collection like bitnami/charts: ~35 files per chart (bench/chart.py).
"""
import argparse
import os
import random

import chart
import crd

HUB = ["nginx:1.27", "redis:7.2", "postgres:16", "busybox:1.36", "bitnami/redis:7.2.4",
       "python:3.12-slim", "node:20-alpine", "golang:1.22", "alpine:3.20", "grafana/grafana:11.0.0"]
OTHER = ["ghcr.io/acme/api:1.4.2", "quay.io/prometheus/node-exporter:v1.8.1",
         "registry.k8s.io/pause:3.9", "gcr.io/distroless/static:nonroot"]
WORDS = ("request handler image cache layer service deploy build from queue token stream "
         "config worker retry timeout client server index render upload thumbnail").split()


def image(rng):
    return rng.choice(HUB) if rng.random() < 0.6 else rng.choice(OTHER)


def prose(rng, lines):
    return "\n".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))
                     for _ in range(lines)) + "\n"


def go(rng):
    body = [f"package {rng.choice(['api', 'store', 'render'])}", "", 'import "fmt"', ""]
    for i in range(rng.randint(8, 30)):
        body.append(f"// {prose(rng, 1).strip()}")
        body.append(f"func handle{i}(image string) error {{")
        body.append(f'\treturn fmt.Errorf("resize image %s from %d", image, {i})')
        body.append("}")
    return "\n".join(body) + "\n"


def python(rng):
    body = ['"""Image thumbnails."""', "import os", ""]
    for i in range(rng.randint(8, 30)):
        body.append(f"def step_{i}(image, size={i}):")
        body.append(f'    """{prose(rng, 1).strip()}"""')
        body.append("    return image.resize((size, size))")
        body.append("")
    return "\n".join(body)


def typescript(rng):
    body = ["import { render } from './render';", ""]
    for i in range(rng.randint(8, 30)):
        body.append(f"export function view{i}(image: string): string {{")
        body.append(f"  return render(`<img src=${{image}} alt='{rng.choice(WORDS)}'>`);")
        body.append("}")
    return "\n".join(body) + "\n"


def markdown(rng):
    return (f"# {rng.choice(WORDS).title()}\n\n{prose(rng, rng.randint(5, 40))}\n"
            f"```dockerfile\nFROM {image(rng)}\n```\n\n{prose(rng, 5)}")


def manifest(rng):
    docs = []
    for d in range(rng.randint(1, 4)):
        containers = "".join(
            f"        - name: c{c}\n          image: {image(rng)}\n"
            f"          ports: [{{containerPort: {8000 + c}}}]\n"
            for c in range(rng.randint(1, 3)))
        docs.append(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{d}\n"
            f"  labels: {{app: app-{d}}}\nspec:\n  replicas: {rng.randint(1, 5)}\n"
            f"  template:\n    spec:\n      containers:\n{containers}"
            f"---\napiVersion: v1\nkind: Service\nmetadata:\n  name: app-{d}\n"
            f"spec:\n  ports: [{{port: 80}}]\n")
    return "---\n".join(docs)


def values(rng):
    return (f"replicaCount: {rng.randint(1, 3)}\nimage:\n  registry: docker.io\n"
            f"  repository: bitnami/{rng.choice(['redis', 'postgresql', 'nginx'])}\n"
            f"  tag: \"{rng.randint(1, 9)}.{rng.randint(0, 9)}\"\n  pullPolicy: IfNotPresent\n"
            f"metrics:\n  image:\n    repository: {rng.choice(['bitnami/redis-exporter', 'quay.io/oliver006/redis_exporter'])}\n"
            f"    tag: v1.58.0\nresources: {{}}\n")


def dockerfile(rng):
    return (f"# syntax=docker/dockerfile:1\nARG BASE={image(rng)}\nFROM {image(rng)} AS build\n"
            f"RUN make build\nFROM ${{BASE}}\nCOPY --from=build /out /app\n"
            f"ENTRYPOINT [\"/app\"]\n")


def compose(rng):
    return "services:\n" + "".join(
        f"  svc{i}:\n    image: {image(rng)}\n    ports: [\"{8000 + i}:80\"]\n"
        for i in range(rng.randint(2, 6)))


def workflow(rng):
    return (f"name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
            f"    container: {image(rng)}\n    services:\n      db:\n        image: {image(rng)}\n"
            f"    steps:\n      - uses: actions/checkout@v4\n      - run: make test\n")


def terraform(rng):
    return (f'resource "docker_image" "app" {{\n  name = "{image(rng)}"\n}}\n\n'
            f'variable "base_image" {{\n  default = "{image(rng)}"\n}}\n'
            f'resource "aws_instance" "web" {{\n  ami           = "ami-123"\n'
            f'  instance_type = "t3.micro"\n}}\n')


def json_config(rng):
    return "{\n" + ",\n".join(f'  "{w}{i}": "{rng.choice(WORDS)}"'
                              for i, w in enumerate(rng.sample(WORDS, 8))) + "\n}\n"


# (weight, directory, file name pattern, generator)
KINDS = [
    (20, "services/{svc}/internal/{pkg}", "{name}.go", go),
    (12, "tools/{svc}", "{name}.py", python),
    (12, "web/{svc}/src", "{name}.ts", typescript),
    (10, "docs/{svc}", "{name}.md", markdown),
    (8, "config/{svc}", "{name}.json", json_config),
    (16, "deploy/{svc}/k8s", "{name}.yaml", manifest),
    (4, "charts/{svc}", "values.yaml", values),
    (6, "services/{svc}", "Dockerfile", dockerfile),
    (3, "services/{svc}", "docker-compose.yml", compose),
    (2, ".github/workflows", "{name}.yml", workflow),
    (3, "infra/{svc}", "{name}.tf", terraform),
]


def custom_resource_definition(rng):
    return crd.crd(rng, crd.crd_size(rng, 40_000, 15_000))


MIXES = {
    "default": KINDS,
    "crd": KINDS + [(4, "deploy/{svc}/crds", "{name}.yaml", custom_resource_definition)],
}


def generate(count, out, seed, mix="default"):
    rng = random.Random(seed)
    if mix == "chart":
        chart.generate(count, out, rng)
        return
    kinds = MIXES[mix]
    weights = [k[0] for k in kinds]
    charts = set()
    for i in range(count):
        _, directory, pattern, make = rng.choices(kinds, weights)[0]
        svc = f"svc{rng.randint(0, max(1, count // 40))}"
        directory = directory.format(svc=svc, pkg=rng.choice(["store", "api", "render"]))
        name = pattern.format(name=f"f{i}")
        path = os.path.join(out, directory, name)
        if os.path.exists(path):
            path = os.path.join(out, directory, f"{i}-{name}")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(make(rng))
        if make is values and directory not in charts:
            charts.add(directory)
            with open(os.path.join(out, directory, "Chart.yaml"), "w") as f:
                f.write(f"apiVersion: v2\nname: {svc}\nversion: 1.0.0\n")
    with open(os.path.join(out, ".gitignore"), "w") as f:
        f.write("node_modules/\n*.log\n")
    with open(os.path.join(out, "regmig.toml"), "w") as f:
        f.write('[target]\ntemplate = "ghcr.io/acme/{path}"\n')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", type=int)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--mix", choices=["default", "crd", "chart"], default="default")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    generate(args.files, args.out, args.seed, args.mix)


if __name__ == "__main__":
    main()
