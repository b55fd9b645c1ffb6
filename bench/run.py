#!/usr/bin/env python3
"""Times `regmig check` against ripgrep on synthetic monorepos and reports peak memory.

    python3 bench/run.py [SIZE ...]        # default: 2500 10000 40000 files

For each size it generates a tree with bench/generate.py (deterministic), then runs hyperfine
on `rg -c 'image|FROM' .` (the cost of reading the bytes once) and on
`regmig check --format concise .`, and measures each command's peak RSS with GNU time. It
prints a Markdown table of medians, the ratio and peak RSS.
Needs hyperfine, rg and /usr/bin/time (`apt-get install hyperfine ripgrep time`); builds
regmig in release mode if needed.
"""
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGMIG = os.path.join(ROOT, "target", "release", "regmig")
RG = ["rg", "-c", "image|FROM", "."]
CHECK = [REGMIG, "check", "--format", "concise", "."]


def peak_rss_mib(command, cwd):
    """Peak resident memory of one run of `command`, in MiB, from GNU time (a child forked
    from Python would count Python's own pages)."""
    out = subprocess.run(["/usr/bin/time", "-f", "%M", *command], cwd=cwd,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return int(out.stderr.strip().splitlines()[-1]) / 1024


def hyperfine(commands, cwd, runs):
    with tempfile.NamedTemporaryFile(suffix=".json") as export:
        args = ["hyperfine", "--warmup", "2", "--runs", str(runs), "--ignore-failure",
                "--style", "none", "--export-json", export.name]
        args += [shlex.join(c) for c in commands]
        subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        with open(export.name) as f:
            return [r["median"] for r in json.load(f)["results"]]


def main():
    sizes = [int(s) for s in sys.argv[1:]] or [2500, 10000, 40000]
    for tool in ("hyperfine", "rg", "/usr/bin/time"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} not found (apt-get install hyperfine ripgrep time)")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    print(f"| files | rg median | regmig median | ratio | regmig peak RSS | rg peak RSS |")
    print(f"| ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix=f"regmig-bench-{size}-") as tree:
            subprocess.run([sys.executable, os.path.join(ROOT, "bench", "generate.py"),
                            str(size), tree], check=True)
            runs = 20 if size <= 10000 else 10
            rg, regmig = hyperfine([RG, CHECK], tree, runs)
            print(f"| {size} | {rg * 1000:.0f} ms | {regmig * 1000:.0f} ms | {regmig / rg:.2f} "
                  f"| {peak_rss_mib(CHECK, tree):.1f} MiB | {peak_rss_mib(RG, tree):.1f} MiB |",
                  flush=True)


if __name__ == "__main__":
    main()
