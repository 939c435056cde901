# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""./mach test-reliability: the store under attack and fault (components/reliability)."""

import argparse
import re
import subprocess
import sys

from common import ROOT, workspace_env

SUMMARY = re.compile(r"^\d+ passed, \d+ failed$")


def cmd_test_reliability(argv):
    """Attack and fault the store: kills, disk full, bit rot, damaged indexes, fuzzing, load, scale, timing."""
    parser = argparse.ArgumentParser(prog="./mach test-reliability")
    parser.add_argument("--quick", action="store_true",
                        help="the CI-sized run (a few minutes); same pass criteria")
    parser.add_argument("--only", metavar="NAME[,NAME]",
                        help="kill, disk-full, bit-rot, index-damage, fuzz, load, scale, timing")
    parser.add_argument("--record", metavar="FILE",
                        help="also write the table as Markdown with the date and machine")
    args = parser.parse_args(argv)
    passthrough = []
    if args.quick:
        passthrough.append("--quick")
    if args.only:
        passthrough += ["--only", args.only]
    if args.record:
        passthrough += ["--record", args.record]
    # Release: the scenarios hash and move gigabytes, and latency numbers
    # from a debug build would mean nothing.
    command = ["cargo", "run", "--release", "--locked", "-p", "cos-reliability", "--"] + passthrough
    print("+ " + " ".join(command), flush=True)
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True,
                               env=workspace_env())
    last = ""
    for line in process.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        if line.strip():
            last = line.strip()
    status = process.wait()
    # CI reads the last line: if the harness never printed its summary (it
    # did not build, or died), say so in the same form.
    if not SUMMARY.match(last):
        print(f"mach: cos-reliability ended with status {status} before its summary", flush=True)
        print("0 passed, 1 failed", flush=True)
        return status or 1
    return status
