# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""The memory a browser uses while `./mach bench --page` runs a step: the
sum of the proportional set size (PSS) of every process in its tree.

PSS, not RSS: Chromium runs a browser, a GPU, a network, a storage and an
extension process and one renderer per site, which share libraries and
shared-memory buffers; adding their RSS would count each shared page once per
process, adding their PSS counts it once. Linux gives it cheaply per process
in /proc/PID/smaps_rollup. The tree is read from /proc/PID/stat (parent ids),
so processes a browser starts while the step runs are counted from the next
sample (every 100 ms).
"""

import os
import threading


def pss_kib(smaps_rollup):
    """The Pss: line of a /proc/PID/smaps_rollup text, in KiB (0 if absent)."""
    for line in smaps_rollup.splitlines():
        if line.startswith("Pss:"):
            fields = line.split()
            if len(fields) < 3 or fields[2] != "kB":
                raise ValueError(f"unexpected Pss line: {line!r}")
            return int(fields[1])
    return 0


def parent_of(stat):
    """The parent pid in a /proc/PID/stat text. The command name (field 2)
    is in parentheses and may itself hold spaces and parentheses, so the
    fields are counted from the last ')'."""
    return int(stat[stat.rindex(")") + 2:].split()[1])


def descendants(root, parents):
    """The pids below `root` in a {pid: parent pid} map (not root itself)."""
    children = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None  # the process ended between listing and reading


def process_parents():
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = read(f"/proc/{name}/stat")
            if stat:
                parents[int(name)] = parent_of(stat)
    return parents


def tree_pss_kib(root, include_root=True):
    """The PSS of `root`'s process tree in KiB, `root` itself counted only if
    include_root (the Chromium driver, node, is not the browser)."""
    pids = descendants(root, process_parents())
    if include_root:
        pids.append(root)
    total = 0
    for pid in pids:
        text = read(f"/proc/{pid}/smaps_rollup")
        if text:
            total += pss_kib(text)
    return total


class Sampler:
    """Samples a tree's PSS every `interval` seconds on a thread, keeping the
    highest, from start() until stop()."""

    def __init__(self, root, include_root, interval=0.1):
        self.root, self.include_root, self.interval = root, include_root, interval
        self.peak_kib = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self):
        self.peak_kib = max(self.peak_kib, tree_pss_kib(self.root, self.include_root))
        self.samples += 1

    def _run(self):
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def start(self):
        self._thread.start()

    def stop(self):
        """Stops sampling after one last sample; returns the peak in KiB."""
        self._stop.set()
        self._thread.join()
        self._sample()
        return self.peak_kib
