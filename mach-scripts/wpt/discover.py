# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""Finds the tests under the paths given to `./mach test-wpt`, as WPT's
manifest does, and says what each one is.

A test file is a .html/.htm that loads /resources/testharness.js (not
-manual, not in resources/ or support/), an x.window.js or x.worker.js (run
as x.window.html / x.worker.html), or an x.any.js, which is run once per
global its `// META: global=` line names (default: window and dedicated
worker), under a generated name:

    x.any.html              window
    x.any.worker.html       dedicated worker
    x.any.sharedworker.html shared worker
    x.any.serviceworker.html  service worker (skipped, see UNSUPPORTED)

serve.py generates these wrappers; source_of() maps a generated name back to
its source file. Stdlib only: serve.py imports this module in wptserve's
virtual environment too.
"""

import os
import re


class DiscoveryError(Exception):
    """A path given on the command line that holds no test."""


# Generated tests: (suffix of the test's name, suffix of its source, global
# it runs in). Longest suffixes first, so x.any.worker.html is not taken for
# an x.worker.html.
GENERATED = [
    (".any.serviceworker.html", ".any.js", "serviceworker"),
    (".any.sharedworker.html", ".any.js", "sharedworker"),
    (".any.shadowrealm.html", ".any.js", "shadowrealm"),
    (".any.worker.html", ".any.js", "dedicatedworker"),
    (".any.html", ".any.js", "window"),
    (".window.html", ".window.js", "window"),
    (".worker.html", ".worker.js", "dedicatedworker"),
]

# The globals of .any.js tests the shell cannot run, and why. Shared workers
# run (Servo 0.7.0's dom_sharedworker_enabled is on by default).
UNSUPPORTED = {
    "serviceworker": "service workers are behind Servo 0.7.0's pref dom_serviceworker_enabled, "
                     "off in the shell",
    "shadowrealm": "Servo 0.7.0 has no ShadowRealm",
}

# WPT's names for sets of globals (`// META: global=worker` means every kind).
GLOBAL_SETS = {
    "default": {"window", "dedicatedworker"},
    "worker": {"dedicatedworker", "sharedworker", "serviceworker"},
}

DEFAULT_TIMEOUT = 10
LONG_TIMEOUT = 60


def any_globals(path):
    """The globals an .any.js file asks to run in (its `// META: global=`
    line; `!name` removes one; no line means the default set)."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\s*//\s*META:\s*global=(.*)$", line)
            if m:
                names = set()
                for item in (g.strip() for g in m.group(1).split(",")):
                    remove = item.startswith("!")
                    group = GLOBAL_SETS.get(item.lstrip("!"), {item.lstrip("!")} - {""})
                    names = names - group if remove else names | group
                return names or set(GLOBAL_SETS["default"])
    return set(GLOBAL_SETS["default"])


def variants(rel, path):
    """([test], [(skipped test, reason)]) for the source file `rel` (a path
    under the doc root; `path` is where it is on disk)."""
    name = os.path.basename(rel)
    if name.endswith(".any.js"):
        globals_ = any_globals(path)
        base = rel[: -len(".any.js")]
        run, skipped = [], []
        for suffix, source_suffix, global_ in GENERATED:
            if source_suffix == ".any.js" and global_ in globals_:
                if global_ in UNSUPPORTED:
                    skipped.append((base + suffix, UNSUPPORTED[global_]))
                else:
                    run.append(base + suffix)
        # The window variant first, then the workers, as WPT lists them.
        return sorted(run, key=lambda t: (not t.endswith(".any.html"), t)), skipped
    if name.endswith((".window.js", ".worker.js")):
        return [rel[: -len(".js")] + ".html"], []
    return [rel], []


def is_test_file(path):
    """Whether the file at `path` is a test's source (see the module's doc)."""
    name = os.path.basename(path)
    if name.endswith((".any.js", ".window.js", ".worker.js")):
        return True
    if name.endswith((".html", ".htm")) and "-manual" not in name \
            and not name.endswith((".any.html", ".window.html")):
        with open(path, encoding="utf-8", errors="replace") as f:
            return "/resources/testharness.js" in f.read()
    return False


def test_files(start):
    """The test source files under `start` (a file or a directory), sorted,
    skipping resources/ and support/ directories."""
    start = os.path.abspath(start)
    if os.path.isfile(start):
        return [start] if is_test_file(start) else []
    found = []
    for directory, dirs, files in os.walk(start):
        dirs[:] = sorted(d for d in dirs if d not in ("resources", "support"))
        found += [os.path.join(directory, name) for name in sorted(files)
                  if is_test_file(os.path.join(directory, name))]
    return found


def source_of(test):
    """The file a generated test (x.any.html, x.any.worker.html,
    x.any.sharedworker.html, x.window.html, x.worker.html, ...) is made from,
    or None for any other name."""
    for suffix, source_suffix, _ in GENERATED:
        if test.endswith(suffix):
            return test[: -len(suffix)] + source_suffix
    return None


def discover(doc_root, paths):
    """(test paths under doc_root, [(skipped test, reason)]) for the files,
    directories or generated test names in `paths`."""
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
                raise DiscoveryError(f"{start}: no such test file or directory")
            test = os.path.join(os.path.dirname(candidate), os.path.basename(start))
            found.append(os.path.relpath(test, doc_root).replace(os.sep, "/"))
            continue
        for path in test_files(start):
            rel = os.path.relpath(path, doc_root).replace(os.sep, "/")
            run, skip = variants(rel, path)
            found += run
            skipped += skip
    return found, skipped


def test_timeout(doc_root, test):
    """Seconds the test may take: LONG_TIMEOUT if its source says
    `// META: timeout=long` or <meta name="timeout" content="long">."""
    source = os.path.join(doc_root, source_of(test) or test)
    try:
        with open(source, encoding="utf-8", errors="replace") as f:
            text = f.read(4000)
    except OSError:
        return DEFAULT_TIMEOUT
    long_ = "META: timeout=long" in text or 'name="timeout" content="long"' in text
    return LONG_TIMEOUT if long_ else DEFAULT_TIMEOUT


def url_for(test):
    """The URL the shell opens for a test: https on 8443 for .https. and
    service-worker tests, http on 8000 otherwise (as WPT's server)."""
    name = os.path.basename(test)
    if ".https." in name or ".serviceworker." in name:
        return f"https://web-platform.test:8443/{test}"
    return f"http://web-platform.test:8000/{test}"
