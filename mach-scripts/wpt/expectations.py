# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""Reads and rewrites the .ini expectation files (tests/wpt/meta/ for our
suite, tests/wpt/meta-upstream/ for an upstream checkout).

The format is the subset of wptrunner's metadata format this project uses,
one file per test, at <metadata dir>/<test path>.ini:

    [probe-budget.tentative.https.any.html]
      expected: ERROR  # why the harness status is not OK
      [a subtest's name, with \\] escaped]
        expected: FAIL  # why this subtest does not pass
        expected: [FAIL, TIMEOUT]  # (a list: any of these)
    disabled: the reason   # (on the test: not run, listed as skipped)

A test or subtest with no expectation must give OK / PASS. Every non-default
expectation carries its reason as a `# comment` on its line (or on the lines
just above it); --update-expectations keeps the reason of an expectation
that still holds and writes "TODO: say why" for a new one.

Why not wptrunner's own parser (wptrunner.wptmanifest): the newest wptrunner
on PyPI is 1.14 (2015), a Python 2 sdist whose setup.py does not run under
Python 3, so it cannot be installed in the runner's virtual environment; the
maintained parser lives only in WPT's repository (tools/wptrunner), which
this machine cannot clone. And it would not fit: its tokenizer drops
comments (comment_state skips to the end of the line) and its serializer
writes none, so a read-and-rewrite would lose every reason. Conditional
values (`if os == "linux": FAIL`) are wptrunner's and not supported here:
they are reported as an error rather than misread.
"""

import os

DEFAULT_HARNESS = "OK"
DEFAULT_SUBTEST = "PASS"
TODO = "TODO: say why"


class ExpectationError(Exception):
    pass


def path_for(meta_dir, test):
    return os.path.join(meta_dir, test + ".ini")


def _heading(text, where):
    """The name inside `[...]`, with `\\]` and `\\\\` unescaped."""
    name, i = [], 1
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            name.append(text[i + 1])
            i += 2
            continue
        if c == "]":
            rest = text[i + 1:].strip()
            if rest and not rest.startswith("#"):
                raise ExpectationError(f"{where}: text after a heading")
            return "".join(name)
        name.append(c)
        i += 1
    raise ExpectationError(f"{where}: unterminated heading")


def escape(name):
    return name.replace("\\", "\\\\").replace("]", "\\]")


def parse(text, filename="<expectations>"):
    """[(subtest or None, key, value, reason)] for each `key: value` line;
    the reason is the line's `# comment`, else the comment lines above it."""
    entries, current, pending, top_seen = [], None, [], False
    for number, raw in enumerate(text.splitlines(), 1):
        where = f"{filename}:{number}"
        stripped = raw.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            pending.append(stripped[1:].strip())
            continue
        depth = len(raw) - len(raw.lstrip())
        if stripped.startswith("["):
            name = _heading(stripped, where)
            if depth == 0:
                if top_seen:
                    raise ExpectationError(f"{where}: a second test heading")
                top_seen, current = True, None
            else:
                current = name
            pending = []
            continue
        line, _, comment = stripped.partition("#")
        if ":" not in line:
            raise ExpectationError(f"{where}: expected `key: value`")
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key.startswith("if ") or not value:
            raise ExpectationError(f"{where}: conditional values are not supported")
        reason = comment.strip() or " ".join(pending)
        entries.append((current, key, value, reason))
        pending = []
    return entries


def values(value):
    """["FAIL"] for "FAIL", ["FAIL", "TIMEOUT"] for "[FAIL, TIMEOUT]"."""
    return [v.strip() for v in value.strip("[]").split(",") if v.strip()]


class Expectations:
    """One test's expectations (none if it has no file)."""

    def __init__(self, entries=()):
        self.entries = list(entries)
        self._expected = {sub: values(value) for sub, key, value, _ in self.entries
                          if key == "expected"}
        self.disabled = next((value for sub, key, value, _ in self.entries
                              if sub is None and key == "disabled"), None)

    def harness(self):
        """The acceptable harness statuses."""
        return self._expected.get(None, [DEFAULT_HARNESS])

    def subtest(self, name):
        """The acceptable statuses of a subtest."""
        return self._expected.get(name, [DEFAULT_SUBTEST])

    def entry(self, subtest, key="expected"):
        """(value, reason) of a line, or None."""
        return next(((v, r) for s, k, v, r in self.entries if s == subtest and k == key), None)


def read(meta_dir, test):
    path = path_for(meta_dir, test)
    if not os.path.exists(path):
        return Expectations()
    with open(path, encoding="utf-8") as f:
        return Expectations(parse(f.read(), path))


def serialize(test_name, entries):
    """The text of an expectations file for `entries` as parse() returns them
    (harness-level lines first, then each subtest in order of appearance)."""
    lines = [f"[{escape(test_name)}]"]

    def line(key, value, reason, indent):
        return f"{indent}{key}: {value}" + (f"  # {reason}" if reason else "")

    lines += [line(k, v, r, "  ") for s, k, v, r in entries if s is None]
    subtests = list(dict.fromkeys(s for s, _, _, _ in entries if s is not None))
    for name in subtests:
        lines.append(f"  [{escape(name)}]")
        lines += [line(k, v, r, "    ") for s, k, v, r in entries if s == name]
    return "\n".join(lines) + "\n"


def updated(old, result):
    """The entries that make `result` expected, keeping from `old` each
    expectation (and its reason) that still holds and its other keys."""
    entries = [e for e in old.entries if e[0] is None and e[1] != "expected"]

    def expect(subtest, status, default):
        if status == default:
            return []
        previous = old.entry(subtest)
        if previous and status in values(previous[0]):
            return [(subtest, "expected", previous[0], previous[1] or TODO)]
        return [(subtest, "expected", status, TODO)]

    entries += expect(None, result["status"], DEFAULT_HARNESS)
    for sub in result["subtests"]:
        entries += expect(sub["name"], sub["status"], DEFAULT_SUBTEST)
    return entries


def write(meta_dir, test, result):
    """Rewrites the test's file so that `result` is what it expects; removes
    the file when that is all OK / PASS."""
    path = path_for(meta_dir, test)
    entries = updated(read(meta_dir, test), result)
    if not entries:
        if os.path.exists(path):
            os.remove(path)
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(serialize(os.path.basename(test), entries))
