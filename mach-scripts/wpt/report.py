# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""Compares results with their expectations and reports them: one line per
test, the summary, and target/wpt/report.json and report.html.

Each test counts once for its harness status and once per subtest; a count
is "passed" when it is what the expectations say (an expected FAIL counts
as passed), "failed" otherwise. The summary's last line, `N passed, N
failed`, is what CI reads; the lines before it say what it is made of.
"""

import html
import json
import os

SUBTEST_STATUSES = ["PASS", "FAIL", "TIMEOUT", "NOTRUN", "PRECONDITION_FAILED"]
TEST_STATUSES = ["OK", "ERROR", "TIMEOUT", "CRASH", "PRECONDITION_FAILED"]


def compare(result, expectations):
    """Marks the result and each subtest `expected` (True / False) and
    returns (expected, unexpected) counts."""
    ok = bad = 0
    result["expected"] = result["status"] in expectations.harness()
    ok, bad = (ok + 1, bad) if result["expected"] else (ok, bad + 1)
    for sub in result["subtests"]:
        sub["expected"] = sub["status"] in expectations.subtest(sub["name"])
        ok, bad = (ok + 1, bad) if sub["expected"] else (ok, bad + 1)
    return ok, bad


class Summary:
    """The counts of a run."""

    def __init__(self):
        self.expected = self.unexpected = self.unexpected_passes = 0
        self.subtests = dict.fromkeys(SUBTEST_STATUSES, 0)
        self.tests = dict.fromkeys(TEST_STATUSES, 0)
        self.skipped = 0

    def add(self, result):
        """Counts a result that compare() has marked."""
        self.tests[result["status"]] = self.tests.get(result["status"], 0) + 1
        for status, expected, passing in (
                [(result["status"], result["expected"], result["status"] == "OK")]
                + [(s["status"], s["expected"], s["status"] == "PASS")
                   for s in result["subtests"]]):
            if expected:
                self.expected += 1
            else:
                self.unexpected += 1
                self.unexpected_passes += passing
        for sub in result["subtests"]:
            self.subtests[sub["status"]] = self.subtests.get(sub["status"], 0) + 1

    def skip(self):
        self.skipped += 1

    @property
    def passed(self):
        return self.expected

    @property
    def failed(self):
        return self.unexpected

    def lines(self):
        """The summary, ending with `N passed, N failed`."""
        def counts(table, names):
            shown = [n for n in table if n in names or table[n]]
            return ", ".join(f"{table[n]} {n.lower()}" for n in shown)

        return [f"{self.expected} expected, {self.unexpected} unexpected "
                f"(of which {self.unexpected_passes} unexpected passes)",
                "subtests: " + counts(self.subtests, ["PASS", "FAIL", "TIMEOUT", "NOTRUN"]) +
                "; tests: " + counts(self.tests, ["OK", "ERROR", "TIMEOUT", "CRASH"]) +
                f", {self.skipped} skipped",
                f"{self.passed} passed, {self.failed} failed"]

    def as_json(self):
        return {"expected": self.expected, "unexpected": self.unexpected,
                "unexpected_passes": self.unexpected_passes, "subtests": self.subtests,
                "tests": dict(self.tests, SKIPPED=self.skipped)}


def test_lines(test, result):
    """The lines printed for one compared result."""
    subs = result["subtests"]
    bad = sum(not s["expected"] for s in subs) + (not result["expected"])
    n_pass = sum(1 for s in subs if s["status"] == "PASS")
    verdict = "OK  " if bad == 0 else "FAIL"
    lines = [f"{verdict} {test}: {result['status']}, {n_pass}/{len(subs)} subtests pass"
             + (f", {bad} unexpected" if bad else "")]
    for s in subs:
        if not s["expected"]:
            lines.append(f"       unexpected {s['status']}: {s['name']}: {s.get('message')}")
    if not result["expected"] and result.get("output"):
        lines.append("       " + result["output"][-800:].replace("\n", "\n       "))
    return lines


def skip_line(test, reason):
    return f"SKIP {test} ({reason})"


def write_reports(report_dir, results, summary):
    """report.json (every result and the counts) and report.html."""
    os.makedirs(report_dir, exist_ok=True)
    with open(os.path.join(report_dir, "report.json"), "w") as f:
        json.dump({"passed": summary.passed, "failed": summary.failed,
                   "summary": summary.as_json(), "results": results}, f, indent=1)
    rows = []
    for test, r in results.items():
        cls = "ok" if r.get("expected", True) else "bad"
        rows.append(f'<tr class="{cls}"><th colspan=3>{html.escape(test)}</th>'
                    f'<td>{r["status"]}</td></tr>')
        for sub in r["subtests"]:
            cls = "ok" if sub.get("expected", True) else "bad"
            rows.append(f'<tr class="{cls}"><td></td><td>{html.escape(sub["name"])}</td>'
                        f'<td>{html.escape(sub.get("message") or "")}</td>'
                        f'<td>{sub["status"]}</td></tr>')
    head, *details = reversed(summary.lines())
    page = ("<!doctype html><meta charset=utf-8><title>WPT results</title><style>"
            "body{font:14px sans-serif}td,th{text-align:left;padding:2px 6px}"
            ".bad{background:#fdd}.ok td:last-child{color:#070}</style>"
            f"<h1>{html.escape(head)}</h1>"
            + "".join(f"<p>{html.escape(line)}</p>" for line in reversed(details))
            + f"<table>{''.join(rows)}</table>")
    with open(os.path.join(report_dir, "report.html"), "w") as f:
        f.write(page)
