# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""The pure parts of `./mach test-wpt` (mach-scripts/wpt/): discovery and
wrapper names, expectation files, the shell's output, the summary, the
subtest census, and the command's arguments."""

import glob
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import testwpt  # noqa: E402
from common import ROOT  # noqa: E402
from wpt import census, discover, expectations, report, shell  # noqa: E402
from test_readme_counts import CLAIM  # noqa: E402


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


class Discovery(unittest.TestCase):
    def test_generated_names_map_to_their_source(self):
        for test, source in [("a/x.any.html", "a/x.any.js"),
                             ("a/x.any.worker.html", "a/x.any.js"),
                             ("a/x.any.sharedworker.html", "a/x.any.js"),
                             ("a/x.any.serviceworker.html", "a/x.any.js"),
                             ("a/x.https.any.worker.html", "a/x.https.any.js"),
                             ("a/x.window.html", "a/x.window.js"),
                             ("a/x.worker.html", "a/x.worker.js"),
                             ("a/x.html", None), ("a/x.any.js", None)]:
            self.assertEqual(discover.source_of(test), source, test)

    def test_variants_follow_meta_global(self):
        with tempfile.TemporaryDirectory() as root:
            write(f"{root}/s/default.any.js", "test(() => {});\n")
            write(f"{root}/s/every.https.any.js", "// META: global=window,worker\n")
            write(f"{root}/s/shared.any.js", "// META: global=sharedworker\n")
            write(f"{root}/s/no-service.any.js", "// META: global=worker,!serviceworker\n")
            write(f"{root}/s/page.html", '<script src="/resources/testharness.js"></script>')
            write(f"{root}/s/manual-manual.html", '<script src="/resources/testharness.js">')
            write(f"{root}/s/plain.html", "<p>not a test")
            write(f"{root}/s/page.html.headers", "X: y")
            write(f"{root}/s/resources/helper.any.js", "")
            write(f"{root}/s/w.worker.js", "")
            tests, skipped = discover.discover(root, [f"{root}/s"])
        self.assertEqual(tests, [
            "s/default.any.html", "s/default.any.worker.html",
            "s/every.https.any.html", "s/every.https.any.sharedworker.html",
            "s/every.https.any.worker.html",
            "s/no-service.any.sharedworker.html", "s/no-service.any.worker.html",
            "s/page.html", "s/shared.any.sharedworker.html", "s/w.worker.html"])
        self.assertEqual([t for t, _ in skipped], ["s/every.https.any.serviceworker.html"])
        self.assertIn("dom_serviceworker_enabled", skipped[0][1])

    def test_a_generated_test_by_name(self):
        with tempfile.TemporaryDirectory() as root:
            write(f"{root}/s/x.any.js", "")
            tests, _ = discover.discover(root, ["s/x.any.sharedworker.html"])
            self.assertEqual(tests, ["s/x.any.sharedworker.html"])
            with self.assertRaises(discover.DiscoveryError):
                discover.discover(root, ["s/y.any.worker.html"])

    def test_urls_and_timeouts(self):
        self.assertEqual(discover.url_for("a/x.https.any.html"),
                         "https://web-platform.test:8443/a/x.https.any.html")
        self.assertEqual(discover.url_for("a/x.html"), "http://web-platform.test:8000/a/x.html")
        with tempfile.TemporaryDirectory() as root:
            write(f"{root}/long.any.js", "// META: timeout=long\n")
            self.assertEqual(discover.test_timeout(root, "long.any.worker.html"),
                             discover.LONG_TIMEOUT)
            self.assertEqual(discover.test_timeout(root, "missing.html"),
                             discover.DEFAULT_TIMEOUT)


class Expectations(unittest.TestCase):
    def test_every_upstream_file_round_trips_with_its_reasons(self):
        files = glob.glob(os.path.join(ROOT, "tests", "wpt", "meta*", "**", "*.ini"),
                          recursive=True)
        self.assertTrue(files)
        for path in files:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            entries = expectations.parse(text, path)
            self.assertTrue(all(reason for _, _, _, reason in entries), path)
            name = os.path.basename(path)[: -len(".ini")]
            self.assertEqual(expectations.serialize(name, entries), text, path)

    def test_escapes_comments_and_lists(self):
        text = ("[t.html]\n"
                "  # the harness times out because of the last subtest\n"
                "  expected: TIMEOUT\n"
                "  [a \\] b # c]\n"
                "    expected: [FAIL, TIMEOUT]  # flaky: issue 3\n")
        e = expectations.Expectations(expectations.parse(text))
        self.assertEqual(e.harness(), ["TIMEOUT"])
        self.assertEqual(e.subtest("a ] b # c"), ["FAIL", "TIMEOUT"])
        self.assertEqual(e.subtest("other"), ["PASS"])
        self.assertEqual(e.entry(None)[1], "the harness times out because of the last subtest")
        self.assertEqual(e.entry("a ] b # c"), ("[FAIL, TIMEOUT]", "flaky: issue 3"))

    def test_conditions_are_refused(self):
        with self.assertRaises(expectations.ExpectationError):
            expectations.parse('[t.html]\n  expected:\n    if os == "linux": FAIL\n')

    def test_update_keeps_reasons_that_still_hold(self):
        old = expectations.Expectations(expectations.parse(
            "[t.html]\n  disabled: no\n  [a]\n    expected: FAIL  # why a\n"
            "  [b]\n    expected: FAIL  # why b\n  [c]\n    expected: [FAIL, TIMEOUT]  # why c\n"))
        result = {"status": "ERROR", "subtests": [
            {"name": "a", "status": "FAIL"}, {"name": "b", "status": "TIMEOUT"},
            {"name": "c", "status": "TIMEOUT"}, {"name": "d", "status": "PASS"}]}
        self.assertEqual(expectations.serialize("t.html", expectations.updated(old, result)),
                         "[t.html]\n  disabled: no\n  expected: ERROR  # TODO: say why\n"
                         "  [a]\n    expected: FAIL  # why a\n"
                         "  [b]\n    expected: TIMEOUT  # TODO: say why\n"
                         "  [c]\n    expected: [FAIL, TIMEOUT]  # why c\n")

    def test_write_and_read_back(self):
        with tempfile.TemporaryDirectory() as meta:
            result = {"status": "OK", "subtests": [{"name": "s", "status": "FAIL"}]}
            expectations.write(meta, "d/t.any.sharedworker.html", result)
            e = expectations.read(meta, "d/t.any.sharedworker.html")
            self.assertEqual(e.subtest("s"), ["FAIL"])
            result["subtests"][0]["status"] = "PASS"
            expectations.write(meta, "d/t.any.sharedworker.html", result)
            self.assertFalse(os.path.exists(f"{meta}/d/t.any.sharedworker.html.ini"))


class ShellOutput(unittest.TestCase):
    def test_result_line(self):
        out = ('console: hello\nconsole: WPT-RESULT {"status": 0, "tests": ['
               '{"name": "a", "status": 0}, {"name": "b", "status": 1, "message": "m"}]}\n')
        r = shell.parse_output(out, 0, 1.234)
        self.assertEqual((r["status"], r["time"]), ("OK", 1.23))
        self.assertEqual([(s["name"], s["status"], s["message"]) for s in r["subtests"]],
                         [("a", "PASS", None), ("b", "FAIL", "m")])

    def test_no_result_is_a_timeout_or_a_crash(self):
        self.assertEqual(shell.parse_output("", 2, 0)["status"], "TIMEOUT")
        self.assertEqual(shell.parse_output("", None, 0)["status"], "TIMEOUT")
        crash = shell.parse_output("x" * 3000, -11, 0)
        self.assertEqual((crash["status"], len(crash["output"])), ("CRASH", 2000))

    def test_command_line(self):
        with tempfile.TemporaryDirectory() as root:
            write(f"{root}/c/t.https.html",
                  '<meta name="servo-cos-args" content="--cos-consent ask">')
            args = shell.shell_args("servo", root, "c/t.https.html", "P", "H", 10, "TOKEN",
                                    {"COS_SHELL_ARGS": "--pref a=b"})
        self.assertEqual(args[args.index("--test-driver") + 1], "TOKEN")
        self.assertEqual(args[args.index("--timeout") + 1], "15")
        self.assertEqual(args[-5:], ["--cos-consent", "ask", "--pref", "a=b",
                                     "https://web-platform.test:8443/c/t.https.html"])


class Summary(unittest.TestCase):
    def test_counts(self):
        expected = expectations.Expectations(expectations.parse(
            "[t.html]\n  [was failing]\n    expected: FAIL  # r\n"
            "  [fails]\n    expected: FAIL  # r\n"))
        summary = report.Summary()
        first = {"status": "OK", "subtests": [
            {"name": "was failing", "status": "PASS"}, {"name": "fails", "status": "FAIL"},
            {"name": "passes", "status": "PASS"}, {"name": "late", "status": "TIMEOUT"},
            {"name": "never", "status": "NOTRUN"}]}
        self.assertEqual(report.compare(first, expected), (3, 3))
        summary.add(first)
        crash = {"status": "CRASH", "subtests": []}
        report.compare(crash, expectations.Expectations())
        summary.add(crash)
        summary.skip()
        self.assertEqual(summary.lines(), [
            "3 expected, 4 unexpected (of which 1 unexpected passes)",
            "subtests: 2 pass, 1 fail, 1 timeout, 1 notrun; "
            "tests: 1 ok, 0 error, 0 timeout, 1 crash, 1 skipped",
            "3 passed, 4 failed"])
        self.assertEqual(report.test_lines("t.html", first)[0],
                         "FAIL t.html: OK, 2/5 subtests pass, 3 unexpected")


class Census(unittest.TestCase):
    def test_loops_and_conditions(self):
        code = """
test(() => {}, "one");  // test(() => {}) in a comment
const s = "promise_test(() => {})";
for (const [a, b] of [["x", 1], ["y", { z: 2 }], ["w", [3, 4]]]) {
  promise_test(async () => { assert_true(`${a}` !== "{"); }, `loop ${a}`);
}
for (let i = 0; i < 4; i++) {
  if (i) continue;
}
if (self.WorkerGlobalScope) {
  async_test((t) => t.done(), "workers only");
}
"""
        self.assertEqual(census.count_script(code, "window"), 4)
        self.assertEqual(census.count_script(code, "sharedworker"), 5)

    def test_uncountable_shapes_are_refused(self):
        for code in ["function f() { test(() => {}); }",
                     "for (const x of list) { test(() => {}); }",
                     "if (location.search) { test(() => {}); }",
                     "fetch_tests_from_worker(new Worker('w.js'));"]:
            with self.assertRaises(census.CannotCount, msg=code):
                census.count_script(code, "window")

    def test_readme_sentence_form(self):
        m = CLAIM.search("`tests/wpt/cross-origin-storage/`: 16 test files (21 tests: the "
                         ".any.js ones in a window and a dedicated worker), 90 subtests, all")
        self.assertEqual((m["files"], m["tests"], m["subtests"]), ("16", "21", "90"))


class Arguments(unittest.TestCase):
    def test_defaults(self):
        o = testwpt.parse([])
        self.assertEqual((o.doc_root, o.meta_dir), (testwpt.OUR_TESTS, testwpt.META))
        self.assertEqual(o.paths, [os.path.join(testwpt.OUR_TESTS, "cross-origin-storage")])
        self.assertFalse(o.update_expectations)

    def test_upstream_and_paths(self):
        o = testwpt.parse(["a/x.any.worker.html", "--wpt-root", "/w", "b",
                           "--update-expectations"])
        self.assertEqual((o.doc_root, o.meta_dir), ("/w", testwpt.UPSTREAM_META))
        self.assertEqual(o.paths, ["a/x.any.worker.html", "b"])
        self.assertTrue(o.update_expectations)
        self.assertEqual(testwpt.parse(["--metadata=m"]).meta_dir, os.path.abspath("m"))

    def test_a_missing_value_is_an_error(self):
        with self.assertRaises(SystemExit):
            testwpt.parse(["--wpt-root"])


if __name__ == "__main__":
    unittest.main()
