# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""The pure parts of `./mach bench --page`: its arguments, the bytes it
stores and their hash (which must match what bench.html makes), percentiles,
the memory arithmetic over /proc text, the page/bench handshake, and the
table."""

import os
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import pagebench  # noqa: E402
import pagebench_chromium  # noqa: E402
import pagebench_memory  # noqa: E402


class Arguments(unittest.TestCase):
    def test_defaults_are_the_issue_sizes(self):
        options = pagebench.parse([])
        self.assertEqual(options.sizes, [64, 256, 1024])
        self.assertEqual((options.runs, options.lookups), (3, 200))
        self.assertIsNone(options.binary)
        self.assertIsNone(options.extension)
        self.assertEqual(options.chromium, "/usr/bin/chromium")

    def test_every_option(self):
        options = pagebench.parse(["--sizes", "8,16", "--runs=2", "--lookups", "50",
                                   "--binary", sys.executable, "--extension", "/x",
                                   "--chromium", "/c", "--json", "out.json"])
        self.assertEqual(options.sizes, [8, 16])
        self.assertEqual((options.runs, options.lookups), (2, 50))
        self.assertEqual((options.binary, options.extension, options.chromium, options.json),
                         (sys.executable, "/x", "/c", "out.json"))

    def test_bad_values_are_errors(self):
        for argv in (["--sizes", "64,big"], ["--sizes", "0"], ["--runs", "0"],
                     ["--lookups", "0"], ["--binary", "/no/such/servo-cos"], ["--page"]):
            with self.subTest(argv=argv), self.assertRaises(SystemExit):
                pagebench.parse(argv)

    def test_binary_must_be_executable(self):
        with tempfile.NamedTemporaryFile() as f:
            with self.assertRaises(SystemExit):
                pagebench.parse(["--binary", f.name])


class Content(unittest.TestCase):
    # Reference values from bench.html's pattern() and blocks() run in node.
    def test_pattern_is_the_pages(self):
        base = pagebench.pattern()
        self.assertEqual(len(base), 1 << 20)
        self.assertEqual(base[:16].hex(), "634d1f2b7acbda94a059087b7e56b077")
        self.assertEqual(base[-8:].hex(), "b7ce642f2ec8fc60")

    def test_hash_is_of_headed_blocks(self):
        self.assertEqual(pagebench.content_hash(2),
                         "8bc04f4692695a01f5665de5750d06ed1b8aa16ef8900faca5fc0006f306d037")

    def test_sizes_differ(self):
        self.assertNotEqual(pagebench.content_hash(1), pagebench.content_hash(2))


class Percentiles(unittest.TestCase):
    def test_nearest_rank(self):
        values = list(range(200, 0, -1))  # 1..200, unordered
        self.assertEqual(pagebench.percentile(values, 50), 100)
        self.assertEqual(pagebench.percentile(values, 95), 190)
        self.assertEqual(pagebench.percentile(values, 100), 200)
        self.assertEqual(pagebench.percentile([7.5], 95), 7.5)

    def test_outliers_reach_p95_only_past_five_percent(self):
        values = [2.0] * 190 + [50.0] * 10
        self.assertEqual(pagebench.percentile(values, 95), 2.0)
        self.assertEqual(pagebench.percentile(values + [50.0], 95), 50.0)


SMAPS_ROLLUP = """\
55d0c0a00000-7ffd1a9f1000 ---p 00000000 00:00 0                          [rollup]
Rss:              812340 kB
Pss:              530118 kB
Pss_Dirty:        401222 kB
Pss_Anon:         398000 kB
Shared_Clean:     300100 kB
"""


class Memory(unittest.TestCase):
    def test_pss_is_the_pss_line(self):
        self.assertEqual(pagebench_memory.pss_kib(SMAPS_ROLLUP), 530118)

    def test_no_pss_line_is_zero_and_other_units_are_refused(self):
        self.assertEqual(pagebench_memory.pss_kib(""), 0)
        with self.assertRaises(ValueError):
            pagebench_memory.pss_kib("Pss: 12 MB\n")

    def test_parent_survives_odd_command_names(self):
        self.assertEqual(pagebench_memory.parent_of("4242 (chromium) S 4200 4242 0"), 4200)
        self.assertEqual(pagebench_memory.parent_of("77 (a) b (c)) R 1 77 77 0"), 1)

    def test_tree_is_every_descendant(self):
        parents = {1: 0, 10: 1, 11: 10, 12: 10, 13: 12, 20: 1, 21: 20}
        self.assertEqual(sorted(pagebench_memory.descendants(10, parents)), [11, 12, 13])
        self.assertEqual(pagebench_memory.descendants(13, parents), [])

    def test_own_tree_counts_this_process_only_with_root(self):
        own = pagebench_memory.tree_pss_kib(os.getpid(), include_root=True)
        self.assertGreater(own, 0)
        self.assertEqual(pagebench_memory.tree_pss_kib(os.getpid(), include_root=False), 0)

    def test_sampler_keeps_a_peak(self):
        sampler = pagebench_memory.Sampler(os.getpid(), True, interval=0.01)
        sampler.start()
        self.assertGreater(sampler.stop(), 0)
        self.assertGreaterEqual(sampler.samples, 2)


class Handshake(unittest.TestCase):
    def test_page_waits_at_ready_until_released(self):
        c = pagebench.Coordinator()
        token = c.expect()
        answered = threading.Event()

        def page():
            c.page_ready(token)
            answered.set()
            c.page_result(token, {"ms": 5})

        threading.Thread(target=page, daemon=True).start()
        self.assertTrue(c.wait_ready(5))
        self.assertFalse(answered.wait(0.2))
        c.release()
        self.assertEqual(c.wait_result(5), {"ms": 5})

    def test_an_error_before_ready_ends_the_wait(self):
        c = pagebench.Coordinator()
        token = c.expect()
        c.page_result(token, {"error": "NoAPI"})
        self.assertFalse(c.wait_ready(5))
        self.assertEqual(c.wait_result(0), {"error": "NoAPI"})

    def test_an_earlier_steps_page_is_ignored(self):
        c = pagebench.Coordinator()
        old = c.expect()
        c.expect()
        c.page_result(old, {"ms": 1})
        c.page_ready(old)  # returns at once: not this step
        self.assertIsNone(c.wait_result(0.05))


    def test_results_are_json_objects(self):
        self.assertEqual(pagebench.parse_result('{"ms": 2.5, "ok": true}'), {"ms": 2.5, "ok": True})
        for text in ("", "not json", "[1, 2]", "null"):
            with self.subTest(text=text):
                self.assertEqual(pagebench.parse_result(text)["error"], "BadResult")


class Table(unittest.TestCase):
    def test_ratio_is_ours_over_theirs(self):
        ours = {"store_mibs": 300.0, "lookup_p50_ms": 2.5}
        theirs = {"store_mibs": 100.0, "lookup_p50_ms": 5.0}
        lines = pagebench.format_table(64, ours, theirs)
        self.assertTrue(lines[0].startswith("64 MiB"))
        self.assertIn("ours/theirs", lines[0])
        store = next(line for line in lines if line.startswith("store MiB/s"))
        self.assertEqual(store.split()[-3:], ["300.0", "100.0", "3.00"])
        lookup = next(line for line in lines if line.startswith("lookup p50"))
        self.assertEqual(lookup.split()[-3:], ["2.50", "5.00", "0.50"])

    def test_missing_side_and_zero_show_dashes(self):
        lines = pagebench.format_table(256, {"store_mibs": 300.0, "wall_s": 2.0},
                                       {"wall_s": 0.0})
        store = next(line for line in lines if line.startswith("store MiB/s"))
        self.assertEqual(store.split()[-3:], ["300.0", "—", "—"])
        wall = next(line for line in lines if line.startswith("wall s"))
        self.assertEqual(wall.split()[-3:], ["2.00", "0.00", "—"])
        self.assertEqual(len(lines), 1 + len(pagebench.ROWS))

    def test_columns_line_up(self):
        lines = pagebench.format_table(1024, {"store_mibs": 12345.6}, {"store_mibs": 1.0})
        self.assertEqual(len({len(line) for line in lines}), 1)

    def test_medians_per_number(self):
        runs = [{"store_mibs": 1.0, "wall_s": 9.0}, {"store_mibs": 3.0, "wall_s": 1.0},
                {"store_mibs": 2.0, "wall_s": 5.0}]
        self.assertEqual(pagebench.medians(runs), {"store_mibs": 2.0, "wall_s": 5.0})
        self.assertEqual(pagebench.medians([]), {})

    def test_a_number_a_run_lacks_is_the_median_of_the_others(self):
        runs = [{"store_mibs": 1.0, "read_mibs": 4.0}, {"store_mibs": 3.0}]
        self.assertEqual(pagebench.medians(runs), {"store_mibs": 2.0, "read_mibs": 4.0})


class Extension(unittest.TestCase):
    def test_a_directory_without_content_scripts_is_refused(self):
        with tempfile.TemporaryDirectory() as d:
            self.assertIsNone(pagebench_chromium.check_extension(d))
            with open(os.path.join(d, "manifest.json"), "w") as f:
                f.write('{"manifest_version": 3, "name": "x"}')
            self.assertIsNone(pagebench_chromium.check_extension(d))
            with open(os.path.join(d, "manifest.json"), "w") as f:
                f.write('{"content_scripts": [{"matches": ["https://*/*"], "js": ["a.js"]}]}')
            self.assertEqual(pagebench_chromium.check_extension(d), os.path.abspath(d))


if __name__ == "__main__":
    unittest.main()
