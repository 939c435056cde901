# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""./mach test-wpt: web-platform-tests in the headless shell.

Serves the tests with wptserve (PyPI, pinned, in a virtual environment in
the cache) on http://web-platform.test:8000/8001, https on 8443/8444, with
www/www1/www2 subdomains and the alternate site not-web-platform.test, all
resolved to 127.0.0.1 through a hosts file given to the shell. testharness.js
and its siblings come from the npm package wpt-runner (pinned); the report
script, testdriver and get-host-info are ours (tests/wpt/infrastructure).

Each test file runs in a fresh profile, with a timeout (TIMEOUT) and crash
detection (CRASH), and is compared with its expectations in tests/wpt/meta
(wptrunner's .ini format). Results: one line per file, "N passed, N failed"
counting subtests and harness results, and a JSON and an HTML report in
target/wpt/.
"""

import html
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

import build
from common import ROOT, cache_dir, die, say
from run import shell_env

WPTSERVE = "wptserve==4.0.3"
WPT_RUNNER = "wpt-runner@7.0.0"
OUR_TESTS = os.path.join(ROOT, "tests", "wpt")
INFRASTRUCTURE = os.path.join(OUR_TESTS, "infrastructure")
META = os.path.join(OUR_TESTS, "meta")
# Expectations for an upstream checkout's cross-origin-storage/ (--wpt-root).
UPSTREAM_META = os.path.join(OUR_TESTS, "meta-upstream")
REPORT_DIR = os.path.join(ROOT, "target", "wpt")
HOSTS = ["web-platform.test", "www.web-platform.test", "www1.web-platform.test",
         "www2.web-platform.test", "not-web-platform.test", "www.not-web-platform.test",
         "www1.not-web-platform.test", "www2.not-web-platform.test",
         "xn--n8j6ds53lwwkrqhv28a.web-platform.test", "xn--lve-6lad.web-platform.test"]
HARNESS_STATUS = {0: "OK", 1: "ERROR", 2: "TIMEOUT", 3: "PRECONDITION_FAILED"}
SUBTEST_STATUS = {0: "PASS", 1: "FAIL", 2: "TIMEOUT", 3: "NOTRUN", 4: "PRECONDITION_FAILED"}
DEFAULT_TIMEOUT = 10
LONG_TIMEOUT = 60


def tools():
    """The pinned wptserve (venv) and testharness.js (npm), cached."""
    base = os.path.join(cache_dir(), "wpt-tools")
    venv = os.path.join(base, "venv")
    python = os.path.join(venv, "bin", "python")
    marker = os.path.join(venv, ".installed")
    if not os.path.exists(marker) or open(marker).read() != WPTSERVE:
        say(f"installing {WPTSERVE} in {venv}")
        subprocess.check_call([sys.executable, "-m", "venv", venv])
        subprocess.check_call([python, "-m", "pip", "install", "-q", WPTSERVE])
        with open(marker, "w") as f:
            f.write(WPTSERVE)
    harness = os.path.join(base, WPT_RUNNER.replace("@", "-"), "package", "testharness")
    if not os.path.isfile(os.path.join(harness, "testharness.js")):
        say(f"fetching testharness.js from npm {WPT_RUNNER}")
        target = os.path.dirname(os.path.dirname(harness))
        os.makedirs(target, exist_ok=True)
        tarball = subprocess.check_output(["npm", "pack", "-q", WPT_RUNNER], cwd=target, text=True)
        with tarfile.open(os.path.join(target, tarball.strip().splitlines()[-1])) as tar:
            tar.extractall(target, filter="data")
    return python, harness, base


# Globals of .any.js tests that the shell cannot run: Servo 0.7.0 has no
# SharedWorker, and no service worker the runner can drive.
UNSUPPORTED_GLOBALS = {"sharedworker": ".any.sharedworker.html",
                       "serviceworker": ".any.serviceworker.html",
                       "shadowrealm": ".any.shadowrealm.html"}


def discover(doc_root, paths):
    """Test URLs (paths under doc_root) for the files under `paths`, and the
    variants skipped because the shell has no such global ([(url, reason)])."""
    found, skipped = [], []
    for start in paths:
        if not os.path.exists(start) and os.path.exists(os.path.join(doc_root, start.lstrip("/"))):
            start = os.path.join(doc_root, start.lstrip("/"))  # a test path, as wptrunner takes
        if not os.path.exists(start):
            # A generated test (x.any.worker.html) is run if its source exists.
            source = source_of(start)
            candidates = [source, os.path.join(doc_root, source.lstrip("/"))] if source else []
            candidate = next((c for c in candidates if os.path.isfile(c)), None)
            if candidate is None:
                die(f"{start}: no such test file or directory")
            test = os.path.join(os.path.dirname(candidate), os.path.basename(start))
            found.append(os.path.relpath(test, doc_root).replace(os.sep, "/"))
            continue
        start = os.path.abspath(start)
        walk = [(os.path.dirname(start), [], [os.path.basename(start)])] if os.path.isfile(start) \
            else os.walk(start)
        for directory, dirs, files in walk:
            dirs[:] = sorted(d for d in dirs if d not in ("resources", "support"))
            for name in sorted(files):
                rel = os.path.relpath(os.path.join(directory, name), doc_root).replace(os.sep, "/")
                if name.endswith(".any.js"):
                    globals_ = any_globals(os.path.join(directory, name))
                    base = rel[: -len(".js")]
                    if "window" in globals_:
                        found.append(base + ".html")
                    if "dedicatedworker" in globals_:
                        found.append(base + ".worker.html")
                    for global_, suffix in UNSUPPORTED_GLOBALS.items():
                        if global_ in globals_:
                            skipped.append((rel[: -len(".any.js")] + suffix,
                                            f"the shell has no {global_} global"))
                elif name.endswith((".window.js", ".worker.js")):
                    found.append(rel[: -len(".js")] + ".html")
                elif name.endswith((".html", ".htm")) and "-manual" not in name \
                        and not name.endswith((".any.html", ".window.html")):
                    with open(os.path.join(directory, name), encoding="utf-8",
                              errors="replace") as f:
                        if "/resources/testharness.js" in f.read():
                            found.append(rel)
    return found, skipped


def any_globals(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\s*//\s*META:\s*global=(.*)$", line)
            if m:
                names = {g.strip() for g in m.group(1).split(",")}
                if "default" in names or not names:
                    names |= {"window", "dedicatedworker"}
                if "worker" in names:  # WPT: every kind of worker
                    names |= {"dedicatedworker", "sharedworker", "serviceworker"}
                return names
    return {"window", "dedicatedworker"}


def source_of(test):
    """The file a generated test (x.any.html, x.any.worker.html,
    x.window.html, x.worker.html) is made from, or None for any other name."""
    m = re.search(r"\.(any|any\.worker|window|worker)\.html$", test)
    if not m:
        return None
    kind = "any" if m.group(1).startswith("any") else m.group(1)
    return f"{test[:m.start()]}.{kind}.js"


def long_timeout(doc_root, test):
    source = os.path.join(doc_root, source_of(test) or test)
    try:
        with open(source, encoding="utf-8", errors="replace") as f:
            text = f.read(4000)
    except OSError:
        return False
    return "META: timeout=long" in text or 'name="timeout" content="long"' in text


def url_for(test):
    name = os.path.basename(test)
    if ".https." in name or ".serviceworker." in name:
        return f"https://web-platform.test:8443/{test}"
    return f"http://web-platform.test:8000/{test}"


def ini_entries(path):
    """(subtest or None, key, value, comment) for each `key: value` line of a
    wptrunner expectations file; nothing if there is no file."""
    if not os.path.exists(path):
        return
    current = None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line, _, comment = raw.rstrip("\n").partition("#")
            text = line.strip()
            if text.startswith("[") and text.endswith("]"):
                depth = len(line) - len(line.lstrip())
                current = None if depth == 0 else text[1:-1].replace("\\]", "]")
            elif ":" in text:
                key, _, value = text.partition(":")
                yield current, key.strip(), value.strip(), comment.strip()


def read_expectations(meta_dir, test):
    """{None: harness expectation, subtest: expectation}, each a list of
    acceptable statuses, from meta/<test>.ini; missing means OK / PASS."""
    expected = {}
    for subtest, key, value, _ in ini_entries(os.path.join(meta_dir, test + ".ini")):
        if key == "expected":
            expected[subtest] = [v.strip() for v in value.strip("[]").split(",")]
        elif key == "disabled":
            expected["__disabled__"] = [value]
    return expected


def servo_cos_meta(doc_root, test, name):
    """What a test of ours asks of the run with <meta name="servo-cos-NAME"
    content="...">: "args" (extra shell arguments, e.g. --cos-consent ask),
    "public-hash-list" or "store-settings" (files, relative to the test,
    installed as the profile's Public Hash List or store settings)."""
    try:
        with open(os.path.join(doc_root, test), encoding="utf-8", errors="replace") as f:
            m = re.search(rf'<meta name="servo-cos-{name}" content="([^"]*)">', f.read(4000))
    except OSError:
        return None
    return m.group(1) if m else None


def prepare_profile(doc_root, test, profile):
    for meta, name in (("public-hash-list", "public-hash-list.txt"),
                       ("store-settings", "settings.json")):
        source = servo_cos_meta(doc_root, test, meta)
        if source:
            store = os.path.join(profile, "cross-origin-storage")
            os.makedirs(store, exist_ok=True)
            source = os.path.join(os.path.dirname(os.path.join(doc_root, test)), source)
            shutil.copy2(source, os.path.join(store, name))


def run_one(binary, doc_root, hosts_file, test, timeout, token):
    extra_args = (servo_cos_meta(doc_root, test, "args") or "").split()
    with tempfile.TemporaryDirectory(prefix="wpt-profile-") as profile:
        prepare_profile(doc_root, test, profile)
        args = [binary, "--headless", "--profile", profile, "--host-file", hosts_file,
                "--ignore-certificate-errors", "--cos-consent", "allow", "--test-driver", token,
                "--timeout", str(timeout + 5)]
        # Extra shell arguments, e.g. "--pref dom_cross_origin_storage_enabled=false"
        # to check that the suite fails without the API.
        args += extra_args + os.environ.get("COS_SHELL_ARGS", "").split() + [url_for(test)]
        started = time.monotonic()
        try:
            proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout + 30,
                                  env=shell_env())
            stdout, code = proc.stdout, proc.returncode
        except subprocess.TimeoutExpired as e:
            stdout, code = (e.stdout or b"").decode(errors="replace"), None
        elapsed = time.monotonic() - started
    for line in stdout.splitlines():
        if line.startswith("console: WPT-RESULT "):
            result = json.loads(line[len("console: WPT-RESULT "):])
            return {"status": HARNESS_STATUS.get(result["status"], "ERROR"),
                    "message": result.get("message"),
                    "subtests": [{"name": t["name"], "status": SUBTEST_STATUS.get(t["status"], "FAIL"),
                                  "message": t.get("message")} for t in result["tests"]],
                    "time": round(elapsed, 2)}
    status = "TIMEOUT" if code in (2, None) else "CRASH"
    return {"status": status, "message": f"no result (exit status {code})", "subtests": [],
            "time": round(elapsed, 2), "output": stdout[-2000:]}


def compare(result, expected):
    """Marks each result expected or not; returns (expected, unexpected) counts."""
    ok = bad = 0
    harness_expected = expected.get(None, ["OK"])
    result["expected"] = result["status"] in harness_expected
    ok, bad = (ok + 1, bad) if result["expected"] else (ok, bad + 1)
    for sub in result["subtests"]:
        sub_expected = expected.get(sub["name"], ["PASS"])
        sub["expected"] = sub["status"] in sub_expected
        ok, bad = (ok + 1, bad) if sub["expected"] else (ok, bad + 1)
    return ok, bad


def old_reasons(path):
    """{(subtest or None, status): comment} from an expectations file, so that
    rewriting it keeps the reason given for an expectation that still holds."""
    return {(subtest, value): comment for subtest, key, value, comment in ini_entries(path)
            if key == "expected" and comment}


def write_expectations(meta_dir, test, result):
    path = os.path.join(meta_dir, test + ".ini")
    reasons = old_reasons(path)

    def expectation(subtest, status, indent):
        why = reasons.get((subtest, status), "TODO: say why")
        return f"{indent}expected: {status}  # {why}"

    lines = [f"[{os.path.basename(test)}]"]
    if result["status"] != "OK":
        lines.append(expectation(None, result["status"], "  "))
    for sub in result["subtests"]:
        if sub["status"] != "PASS":
            name = sub["name"].replace("]", "\\]")
            lines += [f"  [{name}]", expectation(sub["name"], sub["status"], "    ")]
    if len(lines) == 1:
        if os.path.exists(path):
            os.remove(path)
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def write_reports(results, passed, failed):
    os.makedirs(REPORT_DIR, exist_ok=True)
    with open(os.path.join(REPORT_DIR, "report.json"), "w") as f:
        json.dump({"passed": passed, "failed": failed, "results": results}, f, indent=1)
    rows = []
    for test, r in results.items():
        cls = "ok" if r.get("expected", True) else "bad"
        rows.append(f'<tr class="{cls}"><th colspan=3>{html.escape(test)}</th>'
                    f'<td>{r["status"]}</td></tr>')
        for sub in r["subtests"]:
            cls = "ok" if sub.get("expected", True) else "bad"
            rows.append(f'<tr class="{cls}"><td></td><td>{html.escape(sub["name"])}</td>'
                        f'<td>{html.escape(sub.get("message") or "")}</td><td>{sub["status"]}</td></tr>')
    page = ("<!doctype html><meta charset=utf-8><title>WPT results</title><style>"
            "body{font:14px sans-serif}td,th{text-align:left;padding:2px 6px}"
            ".bad{background:#fdd}.ok td:last-child{color:#070}</style>"
            f"<h1>{passed} passed, {failed} failed</h1><table>{''.join(rows)}</table>")
    with open(os.path.join(REPORT_DIR, "report.html"), "w") as f:
        f.write(page)


def take_directory_option(argv, name):
    """Removes `name DIR` from argv; returns DIR as an absolute path, or None."""
    if name not in argv:
        return None
    i = argv.index(name)
    if i + 1 >= len(argv):
        die(f"{name} needs a directory", 2)
    directory = os.path.abspath(argv[i + 1])
    del argv[i:i + 2]
    return directory


def cmd_test_wpt(argv):
    """Run web-platform-tests headless ([PATH...] [--wpt-root DIR] [--metadata DIR]
    [--update-expectations])."""
    update = "--update-expectations" in argv
    argv = [a for a in argv if a != "--update-expectations"]
    wpt_root = take_directory_option(argv, "--wpt-root")
    meta_dir = take_directory_option(argv, "--metadata") or \
        (META if wpt_root is None else UPSTREAM_META)
    doc_root = wpt_root or OUR_TESTS
    paths = argv or [os.path.join(doc_root, "cross-origin-storage")]
    if wpt_root and not os.path.isdir(os.path.join(wpt_root, "resources")):
        die(f"{wpt_root} is not a WPT checkout (it has no resources/ directory)", 2)
    tests, skipped = discover(doc_root, paths)
    if not tests:
        die(f"no tests under {', '.join(paths)}")
    python, harness, base = tools()
    binary = build.build()

    # The shell obeys test-driver console lines only with this run's secret,
    # which the server puts in the testdriver-vendor.js it serves.
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="wpt-") as scratch:
        settings = {"doc_root": doc_root, "harness_dir": harness,
                    "infrastructure_dir": INFRASTRUCTURE, "upstream": wpt_root is not None,
                    "cert_dir": os.path.join(base, "certs"), "test_driver_token": token}
        settings_path = os.path.join(scratch, "settings.json")
        with open(settings_path, "w") as f:
            json.dump(settings, f)
        hosts_file = os.path.join(scratch, "hosts")
        with open(hosts_file, "w") as f:
            f.write("".join(f"127.0.0.1 {h}\n" for h in HOSTS))
        server = subprocess.Popen([python, os.path.join(ROOT, "mach-scripts", "wpt", "serve.py"),
                                   settings_path], stdout=subprocess.PIPE, text=True)
        try:
            if server.stdout.readline().strip() != "READY":
                die("wptserve did not start")
            results = {}
            passed = failed = 0
            for test, reason in skipped:
                print(f"SKIP {test} ({reason})", flush=True)
            for test in tests:
                expected = read_expectations(meta_dir, test)
                if "__disabled__" in expected:
                    print(f"SKIP {test} (disabled: {expected['__disabled__'][0]})", flush=True)
                    continue
                timeout = LONG_TIMEOUT if long_timeout(doc_root, test) else DEFAULT_TIMEOUT
                result = run_one(binary, doc_root, hosts_file, test, timeout, token)
                ok, bad = compare(result, expected)
                passed, failed = passed + ok, failed + bad
                results[test] = result
                subs = result["subtests"]
                n_pass = sum(1 for s in subs if s["status"] == "PASS")
                verdict = "OK  " if bad == 0 else "FAIL"
                print(f"{verdict} {test}: {result['status']}, {n_pass}/{len(subs)} subtests pass"
                      + (f", {bad} unexpected" if bad else ""), flush=True)
                for s in subs:
                    if not s["expected"]:
                        print(f"       unexpected {s['status']}: {s['name']}: {s.get('message')}")
                if not result["expected"] and result.get("output"):
                    print("       " + result["output"][-800:].replace("\n", "\n       "))
                if update:
                    write_expectations(meta_dir, test, result)
        finally:
            server.terminate()
            server.wait(timeout=10)
    write_reports(results, passed, failed)
    say(f"reports: {os.path.relpath(REPORT_DIR, ROOT)}/report.json, report.html")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 or update else 1
