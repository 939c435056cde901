# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""./mach — the project's build driver.

Each command is a function below; `./mach help` lists them. Commands print
what they run, and fail with the exit status of the step that failed.
"""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(args, **kwargs):
    print("+ " + " ".join(args), flush=True)
    return subprocess.call(args, cwd=ROOT, **kwargs)


def cmd_test(argv):
    """Run every test: the store's unit, property, crash and concurrency tests."""
    return run(["cargo", "test", "--workspace", "--locked"] + argv)


def cmd_bench(argv):
    """Measure the store: write+verify throughput vs baselines, lookup latency."""
    return run(["cargo", "bench", "-p", "cos-store", "--bench", "store"] + argv)


def cmd_help(argv):
    """Show this list."""
    print("usage: ./mach COMMAND [ARGS...]\n\ncommands:")
    for name, fn in sorted(COMMANDS.items()):
        print(f"  {name:<8} {fn.__doc__.strip().splitlines()[0]}")
    return 0


COMMANDS = {
    "test": cmd_test,
    "bench": cmd_bench,
    "help": cmd_help,
}


def main():
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        return cmd_help([])
    name, argv = sys.argv[1], sys.argv[2:]
    if name not in COMMANDS:
        print(f"mach: unknown command '{name}'", file=sys.stderr)
        cmd_help([])
        return 2
    return COMMANDS[name](argv)


if __name__ == "__main__":
    sys.exit(main())
