#!/usr/bin/env python3
"""Times `regmig verify` on many distinct images against a local registry.

    python3 bench/verify.py [IMAGES] [--auth open|basic] [--runs N] [--jobs N]

Starts Debian's `docker-registry` (CNCF Distribution) on 127.0.0.1 at a free port with storage
in a temp dir (with `--auth basic`, behind htpasswd, credentials in a $REGISTRY_AUTH_FILE),
stores IMAGES distinct repositories (default 500) through the registry API — one small image
whose blobs are mounted into every repository — writes a repository that references them all
(Kubernetes manifests, a `[[map]]` to the local registry, `insecure = true`), and times
`regmig verify` (release build, default `--jobs`) over a few runs: every image must come back
`present`. Needs `docker-registry` (`apt-get install docker-registry`); `--auth basic` needs
`htpasswd` (apache2-utils). Builds regmig in release mode if needed. Never part of
`cargo test`.
"""
import argparse
import base64
import hashlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGMIG = os.path.join(ROOT, "target", "release", "regmig")
USER, PASSWORD = "bench", "bench-password"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_registry(workdir, auth):
    port = free_port()
    config = [
        "version: 0.1",
        "log:\n  level: error\n  accesslog:\n    disabled: true",
        f"storage:\n  filesystem:\n    rootdirectory: {workdir}/storage",
        f"http:\n  addr: 127.0.0.1:{port}\n  secret: bench",
    ]
    if auth == "basic":
        htpasswd = os.path.join(workdir, "htpasswd")
        subprocess.run(["htpasswd", "-Bbc", htpasswd, USER, PASSWORD], check=True,
                       stderr=subprocess.DEVNULL)
        config.append(f"auth:\n  htpasswd:\n    realm: bench\n    path: {htpasswd}")
    path = os.path.join(workdir, "config.yml")
    with open(path, "w") as f:
        f.write("\n".join(config) + "\n")
    process = subprocess.Popen(["docker-registry", "serve", path],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    process.kill()
    sys.exit("docker-registry did not start")


def request(method, url, body=None, headers=None, auth=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    if auth:
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(req) as response:
        return response


def seed(host, count, auth):
    """One image's blobs uploaded once, then mounted into `count` repositories."""
    base = f"http://{host}/v2"
    layer = b"\0" * 1024  # an empty tar archive
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers",
                                    "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]}}
                        ).encode()
    blobs = [(b, "sha256:" + hashlib.sha256(b).hexdigest()) for b in (layer, config)]
    for blob, digest in blobs:
        location = request("POST", f"{base}/bench/svc-0/blobs/uploads/", b"", auth=auth
                           ).headers["Location"]
        if location.startswith("/"):
            location = f"http://{host}{location}"
        separator = "&" if "?" in location else "?"
        request("PUT", f"{location}{separator}digest={digest}", blob,
                {"Content-Type": "application/octet-stream"}, auth=auth)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": blobs[1][1], "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": blobs[0][1], "size": len(layer)}],
    }).encode()
    for i in range(count):
        name = f"bench/svc-{i}"
        if i:
            for _, digest in blobs:
                request("POST", f"{base}/{name}/blobs/uploads/?mount={digest}&from=bench/svc-0",
                        b"", auth=auth)
        request("PUT", f"{base}/{name}/manifests/1.0", manifest,
                {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}, auth=auth)


def write_repo(repo, host, count):
    with open(os.path.join(repo, "regmig.toml"), "w") as f:
        f.write(f'[[map]]\nfrom = "acme/*"\nto = "{host}/bench/*"\n\n'
                f'[registries."{host}"]\ninsecure = true\n')
    os.makedirs(os.path.join(repo, "k8s"))
    os.makedirs(os.path.join(repo, ".git"))
    for i in range(count):
        with open(os.path.join(repo, "k8s", f"svc-{i}.yaml"), "w") as f:
            f.write(f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: svc-{i}\nspec:\n"
                    f"  containers:\n    - name: app\n      image: acme/svc-{i}:1.0\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", type=int, nargs="?", default=500)
    parser.add_argument("--auth", choices=["open", "basic"], default="open")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int)
    args = parser.parse_args()
    if not os.path.exists(REGMIG):
        subprocess.run(["cargo", "build", "--release", "-q"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as workdir:
        process, host = start_registry(workdir, args.auth)
        try:
            seed(host, args.images, args.auth == "basic")
            repo = os.path.join(workdir, "repo")
            os.makedirs(repo)
            write_repo(repo, host, args.images)
            env = {k: v for k, v in os.environ.items()
                   if "proxy" not in k.lower() and k not in ("REGISTRY_AUTH_FILE", "DOCKER_CONFIG")}
            env["HOME"] = workdir
            if args.auth == "basic":
                auth_file = os.path.join(workdir, "auth.json")
                token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
                with open(auth_file, "w") as f:
                    json.dump({"auths": {host: {"auth": token}}}, f)
                env["REGISTRY_AUTH_FILE"] = auth_file
            command = [REGMIG, "verify", "--format", "json"]
            if args.jobs:
                command += ["--jobs", str(args.jobs)]
            times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                out = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True)
                times.append(time.perf_counter() - started)
                images = json.loads(out.stdout)["images"]
                present = sum(1 for i in images if i["status"] == "present")
                if out.returncode != 0 or present != args.images:
                    sys.exit(f"verify failed ({out.returncode}, {present} present): {out.stderr}")
            print(f"regmig verify, {args.images} distinct images, {args.auth} registry, "
                  f"jobs {args.jobs or 'default (8)'}: median {statistics.median(times):.3f} s, "
                  f"min {min(times):.3f} s, max {max(times):.3f} s over {args.runs} runs")
        finally:
            process.kill()
            process.wait()


if __name__ == "__main__":
    main()
