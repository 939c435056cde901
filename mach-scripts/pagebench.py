# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""./mach bench --page: store and read model-sized files through a page in
the shell, as a site using the API would, and print MiB/s.

Per size and run, with a fresh profile: one origin stores N MiB
(createWritable, 8 MiB writes, close), a new page of that origin reads it
back (getFile + arrayBuffer), and a page of another origin of the same site
(another port on the same host) reads it too. Medians over the runs.
Chromium with the COS extension is not driven here (not installed on this
machine); the numbers are ours alone.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

import siteserver
from common import say

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pagebench")


def step(binary, env, profile, url, timeout):
    proc = subprocess.run([binary, "--headless", "--profile", profile, "--cos-consent", "allow",
                           "--timeout", str(timeout), url],
                          capture_output=True, text=True, env=env, timeout=timeout + 60)
    for line in proc.stdout.splitlines():
        if line.startswith("console: result: "):
            result = json.loads(line[len("console: result: "):])
            if "ms" in result and result.get("ok", True):
                return result["ms"]
            raise SystemExit(f"pagebench: {url}: {result}")
    raise SystemExit(f"pagebench: {url}: no result (status {proc.returncode})\n"
                     + proc.stderr[-2000:])


def run_page_bench(binary, env, argv):
    p = argparse.ArgumentParser(prog="./mach bench --page", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="64,256",
                   help="comma-separated sizes in MiB (default 64,256; 1024 takes minutes)")
    p.add_argument("--runs", type=int, default=3, help="runs per size (default 3)")
    options = p.parse_args(argv)
    try:
        sizes = [int(s) for s in options.sizes.split(",")]
    except ValueError:
        p.error(f"--sizes takes numbers of MiB, not '{options.sizes}'")
    storing = siteserver.serve("127.0.0.1", HERE)
    same_site = siteserver.serve("127.0.0.1", HERE)
    a = f"http://127.0.0.1:{storing.server_address[1]}/bench.html"
    b = f"http://127.0.0.1:{same_site.server_address[1]}/bench.html"
    print(f"{'MiB':>6} {'store MiB/s':>12} {'read, storing origin':>21} {'read, same-site origin':>23}")
    for mib in sizes:
        timeout = 60 + mib // 2
        results = {"store": [], "read": [], "read_same_site": []}
        for _ in range(options.runs):
            with tempfile.TemporaryDirectory() as tmp:
                profile = os.path.join(tmp, "profile")
                for name, url in (("store", f"{a}?mib={mib}&step=store"),
                                  ("read", f"{a}?mib={mib}&step=read"),
                                  ("read_same_site", f"{b}?mib={mib}&step=read")):
                    ms = step(binary, env, profile, url, timeout)
                    results[name].append(mib / (ms / 1000))
        med = {k: statistics.median(v) for k, v in results.items()}
        print(f"{mib:>6} {med['store']:>12.1f} {med['read']:>21.1f} {med['read_same_site']:>23.1f}",
              flush=True)
    say(f"medians of {options.runs} runs; the shell as ./mach build makes it")
    return 0
