#!/usr/bin/env python3
"""Times `regmig check` against ripgrep on synthetic or real trees and reports peak memory.

    python3 bench/run.py [SIZE ...] [--mix default|crd|chart]   # synthetic trees
    python3 bench/run.py --tree PATH [--tree PATH ...]          # any checkout, read only
    options: --regmig BIN (use this binary, don't build)  --baseline BIN (time a second
             regmig side by side, e.g. a build of an older commit)  --runs N

Synthetic trees come from bench/generate.py (deterministic; default sizes 2500 10000 40000).
On every tree hyperfine times, in each of 5 rounds (--rounds; 2 warm-up runs, 10 timed runs
up to 10,000 files, 5 above, warm page cache):
  rg --hidden --glob '!.git' -c 'image|FROM' .   the cost of reading the same bytes once
                                                  (regmig reads hidden files, skips .git)
  regmig check --format json .
  regmig check .                                  (human output, the default)
and the same two for --baseline if given. GNU time then measures each command's peak RSS.
It prints `regmig --version` and one Markdown table per mode: the median over rounds of each
command's median, the median of its ratio to rg within a round (with the lowest and highest
round: commands timed a minute apart on a shared machine drift further apart than the
differences measured), the same ratio to the baseline, and peak RSS.

Reproducing the README's numbers (release build of the commit `regmig --version` names):
  synthetic monorepo    python3 bench/run.py 2500 10000 40000
  CRD-heavy monorepo    python3 bench/run.py --mix crd 2500
  chart collection      python3 bench/run.py --mix chart 2500
  bitnami/charts        git clone https://github.com/bitnami/charts &&
                        git -C charts checkout 5165628ae0 &&
                        python3 bench/run.py --tree charts
                        (never commit the checkout; it is only read)
  before/after          git worktree add /tmp/old OLD && cargo build --release
                        --manifest-path /tmp/old/Cargo.toml && python3 bench/run.py
                        --baseline /tmp/old/target/release/regmig --tree charts
Needs hyperfine, rg and /usr/bin/time (`apt-get install hyperfine ripgrep time`).
"""
import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RG = ["rg", "--hidden", "--glob", "!.git", "-c", "image|FROM", "."]


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


def count_files(tree):
    """Files in the tree outside .git, as a reader of the checkout would count them."""
    total = 0
    for _, dirs, files in os.walk(tree):
        dirs[:] = [d for d in dirs if d != ".git"]
        total += len(files)
    return total


def commands(regmig, baseline):
    """(label, command) pairs: rg first, then each binary in json and human formats."""
    out = [("rg", RG)]
    for name, binary in (("regmig", regmig), ("baseline", baseline)):
        if binary:
            out.append((f"{name} json", [binary, "check", "--format", "json", "."]))
            out.append((f"{name} human", [binary, "check", "."]))
    return out


def measure(tree, label, regmig, baseline, runs, rounds):
    """Prints the table rows for one tree. The commands are timed in `rounds` hyperfine
    invocations; a ratio is the median of the ratios within each round (commands timed
    minutes apart on a shared VM drift apart by more than the differences measured)."""
    cmds = commands(regmig, baseline)
    files = count_files(tree)
    runs = runs or (10 if files <= 10000 else 5)
    per_round = [dict(zip((l for l, _ in cmds), hyperfine([c for _, c in cmds], tree, runs)))
                 for _ in range(rounds)]
    for name, command in cmds:
        median = statistics.median(r[name] for r in per_round)
        to_rg = [r[name] / r["rg"] for r in per_round]
        versus = ""
        if baseline and name.startswith("regmig"):
            other = name.replace("regmig", "baseline")
            versus = f"{statistics.median(r[name] / r[other] for r in per_round):.2f}"
        spread = f" ({min(to_rg):.2f}–{max(to_rg):.2f})" if rounds > 1 else ""
        print(f"| {label} | {files:,} | {name} | {median * 1000:.0f} ms "
              f"| {statistics.median(to_rg):.2f}{spread} | {versus} "
              f"| {peak_rss_mib(command, tree):.1f} MiB |", flush=True)


def header(title):
    print(f"\n### {title}\n")
    print("| tree | files | command | median | × rg (range over rounds) | × baseline | peak RSS |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: |")


def version(binary):
    return subprocess.run([binary, "--version"], capture_output=True, text=True,
                          check=True).stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, help="synthetic tree sizes in files")
    parser.add_argument("--tree", action="append", default=[], help="an existing checkout")
    parser.add_argument("--mix", choices=["default", "crd", "chart"], default="default")
    parser.add_argument("--regmig", help="regmig binary to time (default: build this checkout)")
    parser.add_argument("--baseline", help="a second regmig binary timed side by side")
    parser.add_argument("--runs", type=int, help="timed runs per command and round")
    parser.add_argument("--rounds", type=int, default=5,
                        help="hyperfine invocations per tree (default 5)")
    args = parser.parse_args()
    for tool in ("hyperfine", "rg", "/usr/bin/time"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} not found (apt-get install hyperfine ripgrep time)")
    regmig = args.regmig and os.path.abspath(args.regmig)
    if not regmig:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        regmig = os.path.join(ROOT, "target", "release", "regmig")
    baseline = args.baseline and os.path.abspath(args.baseline)
    print(f"regmig: {version(regmig)}" + (f"; baseline: {version(baseline)}" if baseline else ""))
    print(f"rg: {version('rg').splitlines()[0]}")
    if args.tree:
        header("Real trees")
        for tree in args.tree:
            measure(os.path.abspath(tree), os.path.basename(os.path.abspath(tree)), regmig,
                    baseline, args.runs, args.rounds)
    if args.sizes or not args.tree:
        header(f"Synthetic, mix {args.mix}")
        for size in args.sizes or [2500, 10000, 40000]:
            with tempfile.TemporaryDirectory(prefix=f"regmig-bench-{size}-") as tree:
                subprocess.run([sys.executable, os.path.join(ROOT, "bench", "generate.py"),
                                str(size), tree, "--mix", args.mix], check=True)
                measure(tree, f"{args.mix} {size}", regmig, baseline, args.runs, args.rounds)


if __name__ == "__main__":
    main()
