# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""./mach bench --page: our shell vs Chromium + the COS extension, through a page.

Stores and reads model-sized files through a page, as a site using the API
would, in our shell and (with --extension DIR) in Chromium with the
Cross-Origin Storage extension, in the same run, and compares them.

Per size and run, each browser with a fresh profile runs five steps of
pagebench/bench.html, each in a new page: the storing origin stores N MiB
(8 MiB writes, close), reads it back (getFile + arrayBuffer), a page of
another origin of the same site (another port of localhost) reads it too, the
storing origin reads it as a stream (file.stream(), every chunk dropped), and
looks its handle up --lookups times. For each it records the page's MiB/s,
the wall time the bench saw from letting the page go to its result (store +
the two reads: the end-to-end wall), and the peak of the browser's memory
(PSS of its whole process tree, sampled every 100 ms, pagebench_memory.py)
as it stands and over the idle memory measured once the page had loaded and
before the step began. The table shows the medians over the runs and
ours/theirs for each; --json FILE keeps every run.

The shell is started once per step (so its idle memory is a fresh process
with one page); Chromium once per run, a new tab per step (its idle memory is
the whole browser with that tab, the extension and what earlier steps left
in it). Start-up and page loads
are outside every number. What the Chromium side needs and what differs there
is in pagebench_chromium.py.
"""

import argparse
import datetime
import hashlib
import json
import math
import os
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.parse

import pagebench_chromium
import pagebench_memory
import siteserver
from common import cache_dir, say

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pagebench")
BLOCK = 1 << 20
OURS = "servo-cos"
THEIRS = pagebench_chromium.Chromium.name


def parser():
    p = argparse.ArgumentParser(prog="./mach bench --page", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="64,256,1024",
                   help="comma-separated sizes in MiB (default 64,256,1024)")
    p.add_argument("--runs", type=int, default=3, help="runs per size and browser (default 3)")
    p.add_argument("--lookups", type=int, default=200,
                   help="handle lookups in the lookup step (default 200)")
    p.add_argument("--binary", metavar="PATH",
                   help="run this servo-cos instead of building one (to compare builds)")
    p.add_argument("--debug", action="store_true",
                   help="build and measure the unoptimized shell ./mach test uses (default: the "
                        "optimized release build, as ./mach run)")
    p.add_argument("--extension", metavar="DIR",
                   help="the unpacked source of the COS browser extension "
                        "(web-ai-community/cross-origin-storage-extension): also run Chromium "
                        "with it, installing Debian's chromium as root if missing")
    p.add_argument("--chromium", metavar="PATH", default=pagebench_chromium.CHROMIUM,
                   help=f"the Chromium to drive (default {pagebench_chromium.CHROMIUM})")
    p.add_argument("--json", metavar="FILE", help="also write every run's numbers to FILE")
    return p


def parse(argv):
    p = parser()
    options = p.parse_args(argv)
    try:
        options.sizes = [int(s) for s in options.sizes.split(",")]
    except ValueError:
        p.error(f"--sizes takes numbers of MiB, not '{options.sizes}'")
    if any(s <= 0 for s in options.sizes):
        p.error("--sizes must be positive")
    if options.runs < 1 or options.lookups < 1:
        p.error("--runs and --lookups must be at least 1")
    if options.binary and not os.access(options.binary, os.X_OK):
        p.error(f"--binary {options.binary}: not an executable file")
    return options


# The bytes a step stores: 1 MiB blocks of one pattern (the page makes the
# same, bench.html `pattern`), the first 8 bytes of block j replaced by the
# size and j (little-endian 32-bit), so no two blocks or sizes are alike and
# the page can check any block without holding the file.

def pattern():
    out = bytearray(BLOCK)
    x = 2463534242
    for i in range(0, BLOCK, 4):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out[i:i + 4] = x.to_bytes(4, "little")
    return bytes(out)


_hashes = {}


def content_hash(mib, base=None):
    """SHA-256 (hex) of the `mib` MiB the page stores."""
    if mib not in _hashes:
        base = base or pattern()
        digest = hashlib.sha256()
        rest = memoryview(base)[8:]
        for block in range(mib):
            digest.update(mib.to_bytes(4, "little") + block.to_bytes(4, "little"))
            digest.update(rest)
        _hashes[mib] = digest.hexdigest()
    return _hashes[mib]


def percentile(values, q):
    """The nearest-rank q-th percentile (0 < q <= 100) of values."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


class StepFailed(Exception):
    pass


class Coordinator:
    """What the page and the bench say to each other through the server: the
    page's /ready (answered only when the bench lets it go, so the idle
    memory is measured while the page waits) and its /result. One step at a
    time; a token in each URL keeps a late request of an earlier step out."""

    def __init__(self):
        self.cond = threading.Condition()
        self.counter = 0
        self.token = None

    def expect(self):
        with self.cond:
            self.counter += 1
            self.token = str(self.counter)
            self.ready = self.go = False
            self.result = None
            self.cond.notify_all()  # a page still waiting at /ready gives up
            return self.token

    def page_ready(self, token):
        with self.cond:
            if token != self.token:
                return
            self.ready = True
            self.cond.notify_all()
            self.cond.wait_for(lambda: self.go or token != self.token, timeout=600)

    def page_result(self, token, result):
        with self.cond:
            if token == self.token:
                self.result = result
                self.cond.notify_all()

    def wait_ready(self, timeout):
        """True once the page waits at /ready; False if it reported (an
        error) first or never came."""
        with self.cond:
            self.cond.wait_for(lambda: self.ready or self.result is not None, timeout=timeout)
            return self.ready

    def release(self):
        with self.cond:
            self.go = True
            self.cond.notify_all()

    def wait_result(self, timeout):
        with self.cond:
            self.cond.wait_for(lambda: self.result is not None, timeout=timeout)
            return self.result


class Handler(siteserver.Handler):
    coordinator = None

    def param(self, name):
        return urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get(name, [""])[0]

    def answer(self, status):
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path == "/ready":
            self.coordinator.page_ready(self.param("token"))
            return self.answer(204)
        if path == "/result":
            self.coordinator.page_result(self.param("token"), parse_result(self.param("r")))
            return self.answer(204)
        return super().do_GET()


def parse_result(text):
    """A page's result (JSON), or an error saying what came instead."""
    try:
        result = json.loads(text)
    except ValueError:
        result = None
    if not isinstance(result, dict):
        return {"error": "BadResult", "message": text[:200]}
    return result


class Shell:
    """Our shell, a new process per step on the run's profile."""

    name = OURS

    def __init__(self, binary, env, profile, log):
        self.binary, self.env, self.profile, self.log = binary, env, profile, log
        self.proc = None

    def open(self, url, timeout):
        self.proc = subprocess.Popen(
            [self.binary, "--headless", "--profile", self.profile, "--cos-consent", "allow",
             "--timeout", str(timeout), url],
            stdout=self.log, stderr=self.log, env=self.env)

    def memory_root(self):
        return self.proc.pid, True

    def finish(self):
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def run_step(browser, coordinator, url, timeout):
    """One step in `browser`: (the page's result, wall seconds, idle KiB,
    peak KiB)."""
    token = coordinator.expect()
    browser.open(f"{url}&token={token}", timeout)
    ready = coordinator.wait_ready(timeout)
    root, include_root = browser.memory_root()
    if not ready:
        result = coordinator.wait_result(1)
        browser.finish()
        raise StepFailed(f"{url}: {result or 'the page never became ready'}")
    time.sleep(0.3)
    idle = pagebench_memory.tree_pss_kib(root, include_root)
    sampler = pagebench_memory.Sampler(root, include_root)
    sampler.start()
    t0 = time.monotonic()
    coordinator.release()
    result = coordinator.wait_result(timeout)
    wall = time.monotonic() - t0
    peak = sampler.stop()
    browser.finish()
    if result is None:
        raise StepFailed(f"{url}: no result within {timeout} s")
    if "error" in result or not result.get("ok", True):
        raise StepFailed(f"{url}: {result}")
    return result, wall, idle, peak


STEPS = ["store", "read", "read_same_site", "stream", "lookup"]


def run_once(browser, coordinator, origins, mib, lookups, timeout):
    """Every step of one run in `browser`: (the run's numbers by name, the
    API the page used, the failed steps' errors). A failed store ends the
    run; a failed read leaves the other steps to run, and its numbers (and
    the wall, if it is one of the three) out."""
    storing, same_site = origins
    query = f"mib={mib}&hash={content_hash(mib)}&n={lookups}"
    numbers, walls, api, errors = {}, [], None, []
    for name in STEPS:
        origin = same_site if name == "read_same_site" else storing
        page_step = "read" if name == "read_same_site" else name
        try:
            result, seconds, idle, peak = run_step(
                browser, coordinator, f"{origin}/bench.html?{query}&step={page_step}", timeout)
        except StepFailed as e:
            errors.append(f"{name}: {e}")
            if name == "store":
                break
            continue
        api = result.get("api", api)
        if name == "lookup":
            numbers["lookup_p50_ms"] = percentile(result["lookups"], 50)
            numbers["lookup_p95_ms"] = percentile(result["lookups"], 95)
            continue
        numbers[f"{name}_mibs"] = mib / (result["ms"] / 1000) if result["ms"] > 0 else math.inf
        numbers[f"{name}_peak_mib"] = peak / 1024
        numbers[f"{name}_over_idle_mib"] = (peak - idle) / 1024
        if name in ("store", "read", "read_same_site"):
            walls.append(seconds)
    if len(walls) == 3:
        numbers["wall_s"] = sum(walls)
    return numbers, api, errors


def run_browser(start, coordinator, origins, mib, lookups, timeout):
    """run_once in the browser `start(profile)` opens on a fresh profile,
    closed afterwards whatever happened."""
    with tempfile.TemporaryDirectory(prefix="pagebench-") as tmp:
        browser = None
        try:
            browser = start(os.path.join(tmp, "profile"))
            return run_once(browser, coordinator, origins, mib, lookups, timeout)
        except (RuntimeError, OSError) as e:
            return {}, None, [str(e)]
        finally:
            if browser:
                browser.close()


# (label, key, format) of the table's rows, one column per browser.
ROWS = [
    ("store MiB/s", "store_mibs", "{:.1f}"),
    ("read MiB/s, storing origin", "read_mibs", "{:.1f}"),
    ("read MiB/s, same-site origin", "read_same_site_mibs", "{:.1f}"),
    ("stream read MiB/s (file.stream())", "stream_mibs", "{:.1f}"),
    ("wall s, store + 2 reads", "wall_s", "{:.2f}"),
    ("lookup p50 ms, page to handle", "lookup_p50_ms", "{:.2f}"),
    ("lookup p95 ms", "lookup_p95_ms", "{:.2f}"),
    ("peak PSS MiB, store", "store_peak_mib", "{:.0f}"),
    ("  over idle", "store_over_idle_mib", "{:.0f}"),
    ("peak PSS MiB, read", "read_peak_mib", "{:.0f}"),
    ("  over idle", "read_over_idle_mib", "{:.0f}"),
    ("peak PSS MiB, same-site read", "read_same_site_peak_mib", "{:.0f}"),
    ("  over idle", "read_same_site_over_idle_mib", "{:.0f}"),
    ("peak PSS MiB, stream read", "stream_peak_mib", "{:.0f}"),
    ("  over idle", "stream_over_idle_mib", "{:.0f}"),
]


def medians(runs):
    """The median of each number over the browser's runs that have it ({} if
    none)."""
    keys = {key for run in runs for key in run}
    return {key: statistics.median(run[key] for run in runs if key in run) for key in keys}


def ratio(ours, theirs):
    if ours is None or theirs is None or theirs == 0 or math.isinf(theirs):
        return None
    return ours / theirs


def format_table(mib, ours, theirs):
    """The lines of one size's table: each number's median for our shell and
    for Chromium with the extension ({} where it did not run) and ours/theirs."""
    dash = "—"
    lines = [f"{f'{mib} MiB':<36}{OURS:>12}{THEIRS:>14}{'ours/theirs':>13}"]
    for label, key, fmt in ROWS:
        a, b = ours.get(key), theirs.get(key)
        r = ratio(a, b)
        lines.append(f"{label:<36}{fmt.format(a) if a is not None else dash:>12}"
                     f"{fmt.format(b) if b is not None else dash:>14}"
                     f"{f'{r:.2f}' if r is not None else dash:>13}")
    return lines


def chromium_side(options):
    """(executable, extension dir, node_modules) to run Chromium with, or
    None, having said why not."""
    if not options.extension:
        say("Chromium with the COS extension not run: give --extension DIR (the unpacked "
            "source of web-ai-community/cross-origin-storage-extension)")
        return None
    extension = pagebench_chromium.check_extension(options.extension)
    executable = extension and pagebench_chromium.ensure_chromium(options.chromium)
    modules = executable and pagebench_chromium.ensure_playwright()
    return (executable, extension, modules) if modules else None


def describe(executable, extension):
    version = subprocess.run([executable, "--version"], capture_output=True,
                             text=True).stdout.strip()
    with open(os.path.join(extension, "manifest.json")) as f:
        manifest = json.load(f)
    return version, f"{manifest.get('name')} {manifest.get('version')}"


def run_page_bench(argv, build, env):
    """The command: `build()` makes the shell unless --binary names one; `env`
    is the shell's environment (run.shell_env)."""
    options = parse(argv)
    chromium = chromium_side(options)
    binary = options.binary or build(release=not options.debug)
    log_path = os.path.join(cache_dir(), "pagebench.log")
    os.makedirs(cache_dir(), exist_ok=True)
    log = open(log_path, "w")
    coordinator = Coordinator()
    Handler.coordinator = coordinator
    servers = [siteserver.serve("127.0.0.1", HERE, Handler) for _ in range(2)]
    # localhost, not 127.0.0.1: the extension's content script runs on
    # https:// pages and http://localhost only.
    origins = [f"http://localhost:{s.server_address[1]}" for s in servers]
    record = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
              "binary": os.path.abspath(binary), "runs": options.runs,
              "lookups": options.lookups, "sizes": {}, "errors": []}
    if chromium:
        record["chromium"], record["extension"] = describe(chromium[0], chromium[1])
        say(f"{record['chromium']}, {record['extension']} ({chromium[1]})")
    say(f"{OURS}: {binary}; browser output in {log_path}")
    base = pattern()
    for mib in options.sizes:
        content_hash(mib, base)
        timeout = 120 + mib
        runs = {OURS: [], THEIRS: []}
        apis = {}
        for run in range(options.runs):
            sides = [(OURS, lambda profile: Shell(binary, env, profile, log))]
            if chromium:
                sides.append((THEIRS, lambda profile: pagebench_chromium.Chromium(
                    chromium[0], chromium[1], chromium[2], profile, log)))
            for name, start in sides:
                numbers, api, errors = run_browser(start, coordinator, origins, mib,
                                                   options.lookups, timeout)
                apis[name] = api or apis.get(name)
                if numbers:
                    runs[name].append(numbers)
                for error in errors:
                    record["errors"].append(f"{name}, {mib} MiB, run {run + 1}: {error}")
                    say(f"{name}, {mib} MiB, run {run + 1}: failed: {error}")
        print("\n".join(format_table(mib, medians(runs[OURS]), medians(runs[THEIRS]))),
              flush=True)
        print(flush=True)
        record["sizes"][str(mib)] = {
            name: {"api": apis.get(name), "median": medians(r), "runs": r}
            for name, r in runs.items() if r}
    log.close()
    say(f"medians of {options.runs} run(s) per browser; ours/theirs is our shell's number "
        "over Chromium's (higher is better for MiB/s, lower for the rest)")
    if options.json:
        with open(options.json, "w") as f:
            json.dump(record, f, indent=2)
            f.write("\n")
        say(f"every run's numbers: {options.json}")
    return 1 if record["errors"] else 0
