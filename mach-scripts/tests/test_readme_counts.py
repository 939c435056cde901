# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""The README's size of our WPT suite is the tree's: N test files (N tests),
N subtests, counted as `./mach test-wpt` finds them (wpt/census.py)."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from common import ROOT  # noqa: E402
from wpt import census  # noqa: E402

DOC_ROOT = os.path.join(ROOT, "tests", "wpt")
SUITE = os.path.join(DOC_ROOT, "cross-origin-storage")
CLAIM = re.compile(r"`tests/wpt/cross-origin-storage/`:\s*(?P<files>\d+) test files"
                   r"(?:\s*\((?P<tests>\d+) tests\b[^)]*\))?,\s*(?P<subtests>\d+) subtests")


def readme_claim():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    section = re.search(r"^## Tests\n(.*?)(?=^## )", text, re.S | re.M)
    if not section:
        return None
    m = CLAIM.search(" ".join(section.group(1).split()))
    return m and {k: int(v) for k, v in m.groupdict().items() if v is not None}


class ReadmeCounts(unittest.TestCase):
    def test_readme_states_the_suites_size(self):
        claim = readme_claim()
        self.assertIsNotNone(claim, "README.md's Tests section should say "
                             "\"`tests/wpt/cross-origin-storage/`: N test files (N tests ...), "
                             "N subtests\"")
        counted = census.count(DOC_ROOT, SUITE)
        wanted = {k: counted[k] for k in claim}
        self.assertEqual(claim, wanted,
                         f"README.md's numbers for the WPT suite are out of date: the tree has "
                         f"{counted['files']} test files ({counted['tests']} tests), "
                         f"{counted['subtests']} subtests")


if __name__ == "__main__":
    unittest.main()
