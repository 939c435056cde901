# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""Counts a suite from its source, without running it: test files, tests
(an .any.js file is one test per global), and subtests (the test(),
promise_test() and async_test() calls each test makes).

Subtests are counted by reading the scripts, which works for the shapes our
suite uses: calls at the top level of a script; inside `for (const x of
[a, b, c])` over an array literal or `for (let i = 0; i < N; i++)` (times
the number of rounds); inside `if (self.WorkerGlobalScope)` and the like,
counted only in the globals where the condition holds (CONDITIONS). A call
anywhere else (in a function, under another condition, a file that fetches
its tests from a worker or a window) cannot be counted this way: count()
raises CannotCount, naming the file and line, rather than guess.
"""

import os
import re

from wpt.discover import GENERATED, discover, source_of, test_files

TEST_CALL = re.compile(r"(?<![\w$.])(promise_test|async_test|test)\s*\(")
FETCHED = re.compile(r"(?<![\w$.])fetch_tests_from_(worker|window|shadow_realm)\s*\(")
SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)

WORKERS = {"dedicatedworker", "sharedworker", "serviceworker"}
# `if (...)` conditions on the global, and the globals where each holds.
CONDITIONS = {
    "self.WorkerGlobalScope": WORKERS,
    "!self.WorkerGlobalScope": {"window"},
    "self.DedicatedWorkerGlobalScope": {"dedicatedworker"},
    "self.SharedWorkerGlobalScope": {"sharedworker"},
    "self.ServiceWorkerGlobalScope": {"serviceworker"},
    "GLOBAL.isWindow()": {"window"},
    "GLOBAL.isWorker()": WORKERS,
    "!GLOBAL.isWindow()": WORKERS,
    "!GLOBAL.isWorker()": {"window"},
}


class CannotCount(Exception):
    pass


def blank_strings(code):
    """`code` with the insides of comments, strings and template literals
    replaced by spaces (same length, so positions still match)."""
    out, i, n = list(code), 0, len(code)

    def blank(start, end):
        for k in range(start, end):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = code[i]
        if code.startswith("//", i):
            end = code.find("\n", i)
            end = n if end < 0 else end
            blank(i, end)
            i = end
        elif code.startswith("/*", i):
            end = code.find("*/", i + 2)
            end = n if end < 0 else end + 2
            blank(i, end)
            i = end
        elif c in "'\"`":
            j = i + 1
            while j < n and code[j] != c:
                j += 2 if code[j] == "\\" else 1
            blank(i + 1, min(j, n))
            i = j + 1
        else:
            i += 1
    return "".join(out)


def _matching(text, close, open_char, close_char):
    """The index of the bracket that opens the one at `close`."""
    depth = 0
    for k in range(close, -1, -1):
        if text[k] == close_char:
            depth += 1
        elif text[k] == open_char:
            depth -= 1
            if depth == 0:
                return k
    return None


def _elements(array):
    """The number of top-level elements of an array literal's text `[...]`."""
    inner, depth, count, seen = array[1:-1], 0, 0, False
    for c in inner:
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if c == "," and depth == 0:
            count, seen = count + 1, False
        elif not c.isspace():
            seen = True
    return count + seen


def _block(text, brace, where):
    """What the block opened at `brace` does to a call inside it:
    ("times", N) or ("when", {globals})."""
    before = text[:brace].rstrip()
    if before.endswith(")"):
        opening = _matching(before, len(before) - 1, "(", ")")
        keyword = re.search(r"(\w+)\s*$", before[:opening]) if opening is not None else None
        header = before[opening + 1:-1].strip() if opening is not None else ""
        if keyword and keyword.group(1) == "for":
            m = re.fullmatch(r"(?:const|let|var)\s+.+?\s+of\s+(\[.*\])", header, re.S)
            if m and _matching(m.group(1), len(m.group(1)) - 1, "[", "]") == 0:
                return ("times", _elements(m.group(1)))
            m = re.fullmatch(r"(?:let|var)\s+(\w+)\s*=\s*0\s*;\s*\1\s*<\s*(\d+)\s*;\s*"
                             r"(?:\1\s*\+\+|\+\+\s*\1|\1\s*\+=\s*1)", header)
            if m:
                return ("times", int(m.group(2)))
            raise CannotCount(f"{where}: a loop whose rounds cannot be counted: for ({header})")
        if keyword and keyword.group(1) == "if":
            condition = re.sub(r"\s+", "", header)
            if condition in CONDITIONS:
                return ("when", CONDITIONS[condition])
            raise CannotCount(f"{where}: a condition not in CONDITIONS: if ({header})")
    raise CannotCount(f"{where}: a subtest inside a function or block")


def count_script(code, global_, name="<script>", first_line=1):
    """The number of subtests a script defines when run in `global_`."""
    text = blank_strings(code)
    if FETCHED.search(text):
        raise CannotCount(f"{name}: its subtests come from another global")
    total, opens = 0, []
    calls = {m.start() for m in TEST_CALL.finditer(text)}
    for i, c in enumerate(text):
        if i in calls:
            line = first_line + text.count("\n", 0, i)
            weight = 1
            for brace in opens:
                kind, value = _block(text, brace, f"{name}:{line}")
                if kind == "times":
                    weight *= value
                elif global_ not in value:
                    weight = 0
            total += weight
        if c == "{":
            opens.append(i)
        elif c == "}" and opens:
            opens.pop()
    return total


def scripts(path):
    """(code, first line) of each inline script of a test file; the whole
    file for a .js."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".js"):
        return [(text, 1)]
    return [(m.group(1), text.count("\n", 0, m.start(1)) + 1) for m in SCRIPT.finditer(text)]


def global_of(test):
    for suffix, _, global_ in GENERATED:
        if test.endswith(suffix):
            return global_
    return "window"


def subtests_of(doc_root, test):
    """The number of subtests of one test (a path under doc_root)."""
    source = source_of(test) or test
    return sum(count_script(code, global_of(test), source, first_line)
               for code, first_line in scripts(os.path.join(doc_root, source)))


def count(doc_root, directory):
    """{"files": N, "tests": N, "subtests": N} for the tests under
    `directory` (as `./mach test-wpt` finds them; skipped variants are not
    counted)."""
    tests, _ = discover(doc_root, [directory])
    return {"files": len(test_files(directory)), "tests": len(tests),
            "subtests": sum(subtests_of(doc_root, test) for test in tests)}
