# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""Runs one test in the headless shell, in a fresh profile, and reads its
result.

Our testharnessreport.js (tests/wpt/infrastructure/resources/) prints one
console line, `WPT-RESULT <json>`, when the test completes and closes the
window. No such line: TIMEOUT if the shell was stopped by its own --timeout
(exit status 2) or by ours, CRASH otherwise.

A test of ours may ask for more with <meta name="servo-cos-NAME"
content="..."> in its first 4000 characters: "args" (extra shell arguments,
e.g. --cos-consent ask), "public-hash-list" or "store-settings" (files,
relative to the test, installed as the profile's Public Hash List or store
settings). COS_SHELL_ARGS in the environment adds shell arguments to every
test (e.g. "--pref dom_cross_origin_storage_enabled=false").
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time

from wpt.discover import url_for

HARNESS_STATUS = {0: "OK", 1: "ERROR", 2: "TIMEOUT", 3: "PRECONDITION_FAILED"}
SUBTEST_STATUS = {0: "PASS", 1: "FAIL", 2: "TIMEOUT", 3: "NOTRUN", 4: "PRECONDITION_FAILED"}
RESULT_PREFIX = "console: WPT-RESULT "
# How much longer than the test's timeout we wait before killing the shell
# (the shell's own --timeout is the test's plus 5 s).
GRACE = 30


def servo_cos_meta(doc_root, test, name):
    """The content of the test's <meta name="servo-cos-NAME">, or None."""
    try:
        with open(os.path.join(doc_root, test), encoding="utf-8", errors="replace") as f:
            m = re.search(rf'<meta name="servo-cos-{name}" content="([^"]*)">', f.read(4000))
    except OSError:
        return None
    return m.group(1) if m else None


def prepare_profile(doc_root, test, profile):
    """Installs the Public Hash List and store settings the test asks for."""
    for meta, name in (("public-hash-list", "public-hash-list.txt"),
                       ("store-settings", "settings.json")):
        source = servo_cos_meta(doc_root, test, meta)
        if source:
            store = os.path.join(profile, "cross-origin-storage")
            os.makedirs(store, exist_ok=True)
            source = os.path.join(os.path.dirname(os.path.join(doc_root, test)), source)
            shutil.copy2(source, os.path.join(store, name))


def shell_args(binary, doc_root, test, profile, hosts_file, timeout, token, environ=os.environ):
    """The shell's command line for one test."""
    extra = (servo_cos_meta(doc_root, test, "args") or "").split()
    return ([binary, "--headless", "--profile", profile, "--host-file", hosts_file,
             "--ignore-certificate-errors", "--cos-consent", "allow", "--test-driver", token,
             "--timeout", str(timeout + 5)]
            + extra + environ.get("COS_SHELL_ARGS", "").split() + [url_for(test)])


def parse_output(stdout, code, elapsed):
    """The result of a test from the shell's output and exit status (None
    when we killed it): {"status", "message", "subtests": [{"name",
    "status", "message"}], "time"} and, with no result line, "output"."""
    for line in stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX):])
            return {"status": HARNESS_STATUS.get(result["status"], "ERROR"),
                    "message": result.get("message"),
                    "subtests": [{"name": t["name"],
                                  "status": SUBTEST_STATUS.get(t["status"], "FAIL"),
                                  "message": t.get("message")} for t in result["tests"]],
                    "time": round(elapsed, 2)}
    status = "TIMEOUT" if code in (2, None) else "CRASH"
    return {"status": status, "message": f"no result (exit status {code})", "subtests": [],
            "time": round(elapsed, 2), "output": stdout[-2000:]}


def run_one(binary, doc_root, hosts_file, test, timeout, token, env=None):
    """Runs `test` (a path under doc_root) and returns its result."""
    with tempfile.TemporaryDirectory(prefix="wpt-profile-") as profile:
        prepare_profile(doc_root, test, profile)
        args = shell_args(binary, doc_root, test, profile, hosts_file, timeout, token)
        started = time.monotonic()
        try:
            proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout + GRACE,
                                  env=env)
            stdout, code = proc.stdout, proc.returncode
        except subprocess.TimeoutExpired as e:
            out = e.stdout or b""
            stdout = out.decode(errors="replace") if isinstance(out, bytes) else out
            code = None
        elapsed = time.monotonic() - started
    return parse_output(stdout, code, elapsed)
