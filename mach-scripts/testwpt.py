# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""./mach test-wpt: web-platform-tests in the headless shell.

This file is the command: its arguments, the tools, the server, the loop
over tests. The parts have one job each, in mach-scripts/wpt/ (see its
__init__.py): discover.py finds the tests, serve.py serves them,
shell.py runs one, expectations.py reads the .ini files, report.py prints
and writes the results.

Serves the tests with wptserve (PyPI, pinned, in a virtual environment in
the cache) on http://web-platform.test:8000/8001, https on 8443/8444, with
www/www1/www2 subdomains and the alternate site not-web-platform.test, all
resolved to 127.0.0.1 through a hosts file given to the shell. testharness.js
and its siblings come from the npm package wpt-runner (pinned); the report
script, testdriver and get-host-info are ours (tests/wpt/infrastructure).

Each test runs in a fresh profile, with a timeout (TIMEOUT) and crash
detection (CRASH), and is compared with its expectations in tests/wpt/meta
(tests/wpt/meta-upstream with --wpt-root). Results: one line per test, a
summary ending in "N passed, N failed" (subtests and harness statuses that
are as expected / not), and a JSON and an HTML report in target/wpt/.
"""

import argparse
import json
import os
import secrets
import subprocess
import sys
import tarfile
import tempfile

import build
from common import ROOT, cache_dir, die, pinned_venv, say
from run import shell_env
from wpt import expectations, report
from wpt.discover import DiscoveryError, discover, test_timeout
from wpt.shell import run_one

WPTSERVE = "wptserve==4.0.3"
WPT_RUNNER = "wpt-runner@7.0.0"
OUR_TESTS = os.path.join(ROOT, "tests", "wpt")
INFRASTRUCTURE = os.path.join(OUR_TESTS, "infrastructure")
META = os.path.join(OUR_TESTS, "meta")
# Expectations for an upstream checkout's cross-origin-storage/ (--wpt-root).
UPSTREAM_META = os.path.join(OUR_TESTS, "meta-upstream")
REPORT_DIR = os.path.join(ROOT, "target", "wpt")
SERVE = os.path.join(ROOT, "mach-scripts", "wpt", "serve.py")
HOSTS = ["web-platform.test", "www.web-platform.test", "www1.web-platform.test",
         "www2.web-platform.test", "not-web-platform.test", "www.not-web-platform.test",
         "www1.not-web-platform.test", "www2.not-web-platform.test",
         "xn--n8j6ds53lwwkrqhv28a.web-platform.test", "xn--lve-6lad.web-platform.test"]


def parser():
    p = argparse.ArgumentParser(
        prog="./mach test-wpt",
        description="Run web-platform-tests in the headless shell, each test in a fresh "
                    "profile, and compare the results with their expectations.",
        epilog="The last line is `N passed, N failed`: subtests and harness statuses that "
               "are / are not what the expectations say. Reports: target/wpt/report.json, "
               "report.html. COS_SHELL_ARGS adds shell arguments to every test.")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="a test file, a directory, or a generated test (x.any.worker.html); "
                        "default: the suite's cross-origin-storage/")
    p.add_argument("--wpt-root", metavar="DIR",
                   help="an upstream WPT checkout to serve and test instead of tests/wpt/ "
                        "(its expectations: tests/wpt/meta-upstream/)")
    p.add_argument("--metadata", metavar="DIR",
                   help="where the .ini expectations are (default: tests/wpt/meta/, or "
                        "tests/wpt/meta-upstream/ with --wpt-root)")
    p.add_argument("--update-expectations", action="store_true",
                   help="rewrite the expectations to match this run (keeping the reasons of "
                        "those that still hold) and exit 0")
    return p


def parse(argv):
    """The options, with doc_root and meta_dir resolved to absolute paths."""
    options = parser().parse_intermixed_args(argv)
    options.wpt_root = os.path.abspath(options.wpt_root) if options.wpt_root else None
    options.doc_root = options.wpt_root or OUR_TESTS
    options.meta_dir = os.path.abspath(options.metadata) if options.metadata else \
        (META if options.wpt_root is None else UPSTREAM_META)
    options.paths = options.paths or [os.path.join(options.doc_root, "cross-origin-storage")]
    return options


def tools():
    """The pinned wptserve (venv) and testharness.js (npm), cached."""
    base = os.path.join(cache_dir(), "wpt-tools")
    python = pinned_venv(os.path.join(base, "venv"), WPTSERVE)
    harness = os.path.join(base, WPT_RUNNER.replace("@", "-"), "package", "testharness")
    if not os.path.isfile(os.path.join(harness, "testharness.js")):
        say(f"fetching testharness.js from npm {WPT_RUNNER}")
        target = os.path.dirname(os.path.dirname(harness))
        os.makedirs(target, exist_ok=True)
        tarball = subprocess.check_output(["npm", "pack", "-q", WPT_RUNNER], cwd=target, text=True)
        with tarfile.open(os.path.join(target, tarball.strip().splitlines()[-1])) as tar:
            tar.extractall(target, filter="data")
    return python, harness, base


def start_server(python, settings, scratch):
    """Starts serve.py with `settings`; returns the process once it listens."""
    settings_path = os.path.join(scratch, "settings.json")
    with open(settings_path, "w") as f:
        json.dump(settings, f)
    server = subprocess.Popen([python, SERVE, settings_path], stdout=subprocess.PIPE, text=True)
    if server.stdout.readline().strip() != "READY":
        server.terminate()
        die("wptserve did not start")
    return server


def cmd_test_wpt(argv):
    """Run web-platform-tests headless ([PATH...] [--wpt-root DIR] [--metadata DIR]
    [--update-expectations])."""
    options = parse(argv)
    doc_root, meta_dir = options.doc_root, options.meta_dir
    if options.wpt_root and not os.path.isdir(os.path.join(options.wpt_root, "resources")):
        die(f"{options.wpt_root} is not a WPT checkout (it has no resources/ directory)", 2)
    try:
        tests, skipped = discover(doc_root, options.paths)
    except DiscoveryError as e:
        die(str(e))
    if not tests:
        die(f"no tests under {', '.join(options.paths)}")
    python, harness, base = tools()
    binary = build.build()

    # The shell obeys test-driver console lines only with this run's secret,
    # which the server puts in the testdriver-vendor.js it serves.
    token = secrets.token_hex(16)
    results, summary = {}, report.Summary()
    with tempfile.TemporaryDirectory(prefix="wpt-") as scratch:
        hosts_file = os.path.join(scratch, "hosts")
        with open(hosts_file, "w") as f:
            f.write("".join(f"127.0.0.1 {h}\n" for h in HOSTS))
        server = start_server(python, {
            "doc_root": doc_root, "harness_dir": harness, "infrastructure_dir": INFRASTRUCTURE,
            "upstream": options.wpt_root is not None, "cert_dir": os.path.join(base, "certs"),
            "test_driver_token": token}, scratch)
        try:
            for test, reason in skipped:
                summary.skip()
                print(report.skip_line(test, reason), flush=True)
            env = shell_env()
            for test in tests:
                try:
                    expected = expectations.read(meta_dir, test)
                except expectations.ExpectationError as e:
                    die(str(e))
                if expected.disabled is not None:
                    summary.skip()
                    print(report.skip_line(test, f"disabled: {expected.disabled}"), flush=True)
                    continue
                result = run_one(binary, doc_root, hosts_file, test,
                                 test_timeout(doc_root, test), token, env=env)
                report.compare(result, expected)
                summary.add(result)
                results[test] = result
                print("\n".join(report.test_lines(test, result)), flush=True)
                if options.update_expectations:
                    expectations.write(meta_dir, test, result)
        finally:
            server.terminate()
            server.wait(timeout=10)
    report.write_reports(REPORT_DIR, results, summary)
    say(f"reports: {os.path.relpath(REPORT_DIR, ROOT)}/report.json, report.html")
    print("\n".join(summary.lines()))
    return 0 if summary.failed == 0 or options.update_expectations else 1
