# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""The parts of `./mach test-wpt` (mach-scripts/testwpt.py), one job each.

- discover.py: which tests the paths hold, the URL of each, which generated
  variants are skipped and why.
- serve.py: the web server (wptserve, run in its own virtual environment),
  with the generated .any.html / .any.worker.html / .any.sharedworker.html
  wrappers and our harness files.
- shell.py: one test in the headless shell, in a fresh profile; its result.
- expectations.py: the .ini expectation files, read and (with
  --update-expectations) rewritten, keeping each expectation's reason.
- report.py: results against expectations, the per-test lines, the summary
  and target/wpt/report.json and report.html.
- census.py: the suite's size counted from the source (for the README).
"""
