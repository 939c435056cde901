# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""`./mach run`'s arguments, in every form a person types them."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import run  # noqa: E402


class RunArguments(unittest.TestCase):
    def parse(self, *argv):
        options, shell_args = run.parse(list(argv))
        return options.url, shell_args, options

    def test_values_are_not_urls(self):
        url, shell, _ = self.parse("--headless", "--profile", "DIR", "--timeout", "30", "http://x/")
        self.assertEqual(url, "http://x/")
        self.assertEqual(shell, ["--profile", "DIR", "--timeout", "30"])

    def test_equals_form_and_any_order(self):
        url, shell, options = self.parse("http://x/", "--timeout=30", "--debug",
                                         "--profile=D")
        self.assertEqual(url, "http://x/")
        self.assertEqual(shell, ["--profile", "D", "--timeout", "30"])
        self.assertTrue(options.debug)

    def test_the_optimized_build_is_the_default(self):
        self.assertFalse(self.parse("http://x/")[2].debug)
        self.assertFalse(self.parse("--release", "http://x/")[2].debug)

    def test_debug_and_release_exclude_each_other(self):
        with self.assertRaises(SystemExit):
            run.parse(["--debug", "--release"])

    def test_repeated_prefs_keep_their_order(self):
        _, shell, _ = self.parse("--pref", "a=1", "--pref=b=2", "--pref", "c=3")
        self.assertEqual(shell, ["--pref", "a=1", "--pref", "b=2", "--pref", "c=3"])

    def test_flags_and_unknown_options_pass_through(self):
        url, shell, _ = self.parse("--exit-after-load", "--future-option=7", "page.html")
        self.assertEqual(url, "page.html")
        self.assertEqual(shell, ["--exit-after-load", "--future-option=7"])

    def test_no_url_means_the_demo(self):
        url, shell, options = self.parse("--headless", "--cos-consent", "deny")
        self.assertIsNone(url)
        self.assertTrue(options.headless)
        self.assertEqual(shell, ["--cos-consent", "deny"])

    def test_two_urls_are_an_error(self):
        with self.assertRaises(SystemExit):
            run.parse(["http://a/", "http://b/"])


if __name__ == "__main__":
    unittest.main()
