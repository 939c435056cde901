# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""./mach — the project's build driver. `./mach help` lists the commands."""

import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bootstrap  # noqa: E402
import build  # noqa: E402
import patches  # noqa: E402
import phl  # noqa: E402
import reliability  # noqa: E402
import run as run_command  # noqa: E402
import testwpt  # noqa: E402
from common import ROOT, cache_dir, pinned_venv, run, say, workspace_env  # noqa: E402


def cmd_test(argv):
    """Run every test: the store's, its reliability (quick), the shell end to end, and the WPT suite (--store-only)."""
    store_only = "--store-only" in argv
    argv = [a for a in argv if a != "--store-only"]
    status = run(["cargo", "test", "--workspace", "--locked"] + argv, env=workspace_env(),
                 check=False)
    # The build driver's own tests (argument parsing, ...).
    status = status or run([sys.executable, "-m", "unittest", "discover", "-s",
                            os.path.join(ROOT, "mach-scripts", "tests")], check=False)
    if status != 0 or store_only:
        return status
    # The store under kills, a full disk, bit rot, damaged indexes, fuzzing,
    # load and refusal timing, CI-sized (about 1.5 min; the full run is
    # `./mach test-reliability`, last recorded in docs/reliability.md).
    status = reliability.cmd_test_reliability(["--quick"])
    if status != 0:
        return status
    binary = build.build()
    # The shell's own unit tests (its test driver, the management page),
    # against the same build of the patched crates.
    status = run(["cargo", "test", "--quiet", "--manifest-path",
                  os.path.join(ROOT, "components", "shell", "Cargo.toml")],
                 env=build.build_env(), check=False)
    if status != 0:
        return status
    env = run_command.shell_env()
    # The end-to-end checks read the profile's store with the cos-store tool.
    tool_env = workspace_env()
    run(["cargo", "build", "--quiet", "--locked", "-p", "cos-store", "--bin", "cos-store"],
        env=tool_env)
    tool = os.path.join(tool_env["CARGO_TARGET_DIR"], "debug", "cos-store")
    e2e = run([sys.executable, os.path.join(ROOT, "tests", "e2e", "run.py"), binary, tool],
              env=env, check=False)
    compat = compat_tests(binary, env)
    window = window_tests(binary, tool, env)
    wpt = testwpt.cmd_test_wpt([])
    return e2e or compat or window or wpt


def compat_tests(binary, env):
    """tests/compat/run.py: real clients (Transformers.js, web-llm, wllama from
    npm at pinned versions, and an Emscripten-style loader) on two origins of
    one site, each second origin downloading no model bytes. A client that a
    missing Servo API blocks is reported BLOCKED and does not fail the run."""
    if not (shutil.which("node") and shutil.which("npm")):
        say("the compatibility suite installs its clients with npm, which is missing "
            "(apt-get install nodejs npm): they are skipped, the Emscripten-style loader runs")
    return run([sys.executable, os.path.join(ROOT, "tests", "compat", "run.py"), binary],
               env=env, check=False)


PILLOW = "Pillow==11.3.0"


def window_tests(binary, tool, env):
    """tests/e2e/window.py under Xvfb: the consent dialog and the management
    page as a person uses them. Its screenshots go to the cache (the ones in
    docs/screenshots/ are copies from a run)."""
    if not (shutil.which("Xvfb") and shutil.which("xdotool")):
        say("skipping the window tests: Xvfb and xdotool are missing (./mach bootstrap)")
        return 0
    python = pinned_venv(os.path.join(cache_dir(), "window-venv"), PILLOW)
    out = os.path.join(cache_dir(), "window-screenshots")
    status = run([python, os.path.join(ROOT, "tests", "e2e", "window.py"), binary, tool, out],
                 env=env, check=False)
    say(f"window test screenshots: {out}")
    return status


def cmd_bench(argv):
    """Measure the store (write+verify, lookups, checked reads); --page: through a page, vs Chromium + the COS extension."""
    if "--page" in argv:
        import pagebench
        return pagebench.run_page_bench([a for a in argv if a != "--page"], build=build.build,
                                        env=run_command.shell_env())
    return run(["cargo", "bench", "-p", "cos-store", "--bench", "store"] + argv,
               env=workspace_env(), check=False)


def cmd_help(argv):
    """Show this list."""
    print("usage: ./mach COMMAND [ARGS...]\n\ncommands:")
    for name, fn in sorted(COMMANDS.items()):
        print(f"  {name:<17} {fn.__doc__.strip().splitlines()[0]}")
    return 0


COMMANDS = {
    "bootstrap": bootstrap.cmd_bootstrap,
    "build": build.cmd_build,
    "patches": patches.cmd_patches,
    "run": run_command.cmd_run,
    "test": cmd_test,
    "test-wpt": testwpt.cmd_test_wpt,
    "bench": cmd_bench,
    "phl": phl.cmd_phl,
    "test-reliability": reliability.cmd_test_reliability,
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
