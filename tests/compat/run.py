#!/usr/bin/env python3
# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""The compatibility suite: real Cross-Origin Storage clients, unmodified,
in the shell.

Each client is installed from npm at the exact version package.json pins
(`npm ci` from package-lock.json, with its integrity hashes, into
~/.cache/servo-cos/compat-node; never into the repository) and driven by a
small page of ours (pages/<client>.html) through its public API. The pages
load the client from the installed package, served by the same server as
the page, and fetch a small deterministic model from a fake Hugging Face
hub (hub.py), which counts the model bytes it sends.

For each client, with one fresh profile:

  A. the page on http://127.0.0.1:PA (origin A) loads the model: the hub
     must send the model file once, and the file must then be in
     Cross-Origin Storage;
  B. the page on http://127.0.0.1:PB (origin B: another port, so another
     origin of the same site) loads it again: the hub must send 0 model
     bytes, and the client must have got the same bytes (each page checks
     what its client gives back: inference output, blob hash, wasm exports).

The two origins are same-site, so the files (which the clients store with
origins: '*', and which are not on the Public Hash List) are visible to B
through the same-site rule; no consent is involved.

Each client gives one line: PASS (with "second origin: 0 bytes
downloaded"), FAIL, SKIP (not installed: no npm), or BLOCKED when it did
not work and an API its cross-origin storage path calls is missing in the
shell (the line names the API, where the client calls it, and what
happened); BLOCKED does not fail the run, FAIL does. Then
"N passed, N failed, N skipped" (blocked ones count as skipped).

Usage: run.py SHELL_BINARY [--only CLIENT,...] [--shell-arg ARG ...]
                           [--node-dir DIR] [--timeout SECONDS] [--verbose]
"""

import argparse
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "mach-scripts"))
sys.path.insert(0, HERE)
import hub as hubmod  # noqa: E402
import siteserver  # noqa: E402

PAGES = os.path.join(HERE, "pages")


def cache_dir():
    if os.environ.get("COS_CACHE_DIR"):
        return os.path.abspath(os.environ["COS_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "servo-cos")


# Per client (and per part of a client that can be judged on its own):
# the model files whose bytes are counted (each: the key of the page's own
# look-up of it in Cross-Origin Storage), what the page must have seen on the
# second origin, and what its path needs, as the probes in pages/common.js
# name it, with the call in the client's source that needs it
# (docs/compat.md has the whole path). Our own API is never one of these:
# a client that fails for want of navigator.crossOriginStorage fails.
CLIENTS = {
    "transformers": {
        "package": "@huggingface/transformers",
        "files": {"tokenizer.json": "tokenizer_cos", "onnx/model.onnx": "cos"},
        "content": lambda r: r.get("tokenizer_ok") is True,
        "needs": [
            ("caches", "src/utils/cache/CrossOriginStorageCache.js: CrossOriginStorage._getHashCache "
                       "calls caches.open('experimental_transformers-hash-cache')"),
            ("Cache.prototype.match", "src/utils/cache/CrossOriginStorageCache.js: "
                                      "CrossOriginStorage._getFileHash calls hashCache.match(url)"),
            ("Cache.prototype.put", "src/utils/cache/CrossOriginStorageCache.js: "
                                    "CrossOriginStorage._getFileHash calls "
                                    "hashCache.put(url, new Response(hash))"),
        ],
    },
    "transformers inference": {
        "package": "@huggingface/transformers",
        "same_run_as": "transformers",
        "files": {},
        "content": lambda r: r.get("inference_ok") is True,
        "needs": [
            ("shared WebAssembly.Memory",
             "onnxruntime-web 1.31.0-dev.20260914-8d85527a0 (the version Transformers.js 4.3.2 "
             "pins and bundles in dist/transformers.js): every wasm build it ships "
             "(dist/ort-wasm-simd-threaded*.wasm) imports a shared memory, so "
             "InferenceSession.create, from AutoModel.from_pretrained, fails"),
        ],
    },
    "web-llm": {
        "package": "@mlc-ai/web-llm",
        "files": {"tiny-llm-q4f32_1-webgpu.wasm": "lib_cos"},
        # The page cannot see the library's bytes inside web-llm; what shows
        # that web-llm got them is that TVM instantiated them: the fake
        # hub's library is a plain wasm module, so tvmjs's Instance then
        # stops at its missing TVM entry point (Module["__initialize"]).
        "content": lambda r: r.get("engine") == "loaded"
        or "__initialize" in (r.get("engine_error") or ""),
        "needs": [],
    },
    "web-llm weights": {
        "package": "@mlc-ai/web-llm",
        "same_run_as": "web-llm",
        "files": {"params_shard_0.bin": "weights_cos"},
        "content": lambda r: True,
        "needs": [
            ("navigator.gpu (WebGPU)",
             "lib/index.js: MLCEngine.reloadInternal calls detectGPUDevice() (navigator.gpu."
             "requestAdapter) and throws WebGPUNotAvailableError before tvm.fetchTensorCache, "
             "which is what fetches the weight shards through the cross-origin cache; here the "
             "engine stops earlier still, at the TVM runtime's start on the fake hub's model "
             "library, as a real MLC model library (a TVM-compiled wasm) cannot be built or "
             "fetched offline"),
        ],
    },
    "wllama": {
        "package": "@wllama/wllama",
        "files": {"model.gguf": "cos"},
        "content": lambda r: r.get("blob_ok") is True,
        "needs": [
            ("navigator.storage", "src/storage/opfs.ts: OPFSBackend.isSupported reads "
                                  "navigator.storage"),
            ("navigator.storage.getDirectory (OPFS)",
             "src/storage/cos.ts: COSBackend.isSupported returns OPFSBackend.isSupported() "
             "(navigator.storage.getDirectory), so new CacheManager() throws 'No supported storage "
             "backend found'; the COS backend keeps each file's metadata in OPFS "
             "(CacheManager.writeMetadata, src/cache-manager.ts)"),
        ],
    },
    "emscripten": {
        "package": None,
        "files": {"app.wasm": "cos"},
        "content": lambda r: r.get("instance_ok") is True,
        "needs": [],
    },
}


# --- npm ----------------------------------------------------------------------

def install(node_dir, verbose=False):
    """Installs the pinned clients into node_dir (npm ci, only when the lock
    file changed). Returns None, or why they could not be installed."""
    if not (shutil.which("node") and shutil.which("npm")):
        return "node and npm are not installed (apt-get install nodejs npm)"
    os.makedirs(node_dir, exist_ok=True)
    lock = os.path.join(HERE, "package-lock.json")
    with open(lock, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    marker = os.path.join(node_dir, "node_modules", ".servo-cos-lock-sha256")
    if os.path.exists(marker) and open(marker).read().strip() == digest:
        return None
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(os.path.join(HERE, name), os.path.join(node_dir, name))
    print(f"installing the pinned clients with npm ci in {node_dir}", flush=True)
    # --ignore-scripts: no package's install script runs (onnxruntime-node's,
    # a dependency of Transformers.js for Node, would download binaries).
    proc = subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund",
                           "--loglevel=error"], cwd=node_dir, capture_output=not verbose,
                          text=True)
    if proc.returncode != 0:
        return f"npm ci failed: {(proc.stderr or '')[-500:]}"
    with open(marker, "w") as f:
        f.write(digest + "\n")
    return None


def installed_version(node_dir, package):
    path = os.path.join(node_dir, "node_modules", package, "package.json")
    try:
        with open(path) as f:
            return json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        return None


# --- the sites ----------------------------------------------------------------

class PageHandler(siteserver.Handler):
    """Serves pages/ at /, and the installed packages at /node_modules/."""

    node_dir = None
    extensions_map = dict(siteserver.Handler.extensions_map, **{
        ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
        ".json": "application/json"})

    def translate_path(self, path):
        clean = urllib.parse.unquote(path.split("?", 1)[0].split("#", 1)[0])
        if clean.startswith("/node_modules/") and self.node_dir:
            rel = os.path.normpath(clean[len("/node_modules/"):]).lstrip("/")
            if rel.startswith(".."):
                return os.path.join(PAGES, "missing")
            return os.path.join(self.node_dir, "node_modules", rel)
        return super().translate_path(path)


def serve_pages(node_dir):
    handler = type("Pages", (PageHandler,), {"node_dir": node_dir})
    return siteserver.serve("127.0.0.1", PAGES, functools.partial(handler))


def run_shell(shell, profile, url, timeout, extra):
    """Runs the shell on url; returns (result dict or None, console lines,
    stderr tail)."""
    env = dict(os.environ)
    if not env.get("XDG_RUNTIME_DIR"):
        runtime = os.path.join(cache_dir(), "runtime")
        os.makedirs(runtime, mode=0o700, exist_ok=True)
        env["XDG_RUNTIME_DIR"] = runtime
    args = [shell, "--headless", "--profile", profile, "--cos-consent", "allow",
            "--timeout", str(timeout), *extra, url]
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout + 60, env=env)
        stdout, stderr, status = proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as e:
        stdout = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        stderr = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
        status = "killed after timeout"
    console = [line for line in stdout.splitlines() if line.startswith("console: ")]
    result = None
    for line in console:
        if line.startswith("console: result: "):
            result = json.loads(line[len("console: result: "):])
    if result is None:
        result = {"error": f"no result line (exit status {status})"}
    return result, console, stderr.splitlines()[-15:]


# --- judging ------------------------------------------------------------------

def sent(hub, phase, key):
    """Bytes of `key` (repo/path) the hub sent during `phase`, and per origin."""
    per_origin = {}
    for origin, files in hub.model_bytes(phase).items():
        if key in files:
            per_origin[origin] = files[key]
    return sum(per_origin.values()), per_origin


def judge(name, spec, hub, runs):
    """(status, detail) for one client (or part of one) from its two runs."""
    a, b = runs["A"]["result"], runs["B"]["result"]
    entry = hub.manifest[name.split(" ")[0]]
    prefix = entry.get("repo", "emscripten")
    ok, observed, per_origin = True, [], {}
    for path, look_up in spec["files"].items():
        f = entry["files"][path]
        sent_a, per_a = sent(hub, runs["A"]["phase"], f"{prefix}/{path}")
        sent_b, per_b = sent(hub, runs["B"]["phase"], f"{prefix}/{path}")
        per_origin[path] = {"A": per_a, "B": per_b}
        cos = a.get(look_up) or {}
        stored = cos.get("found") is True and cos.get("sha256") == f["sha256"]
        ok = ok and sent_a == f["size"] and stored and sent_b == 0
        observed.append(f"{path}: first origin downloaded {sent_a} of {f['size']} bytes, "
                        f"{'stored it' if stored else 'stored nothing'}; "
                        f"second origin: {sent_b} bytes downloaded")
    content = spec["content"](b)
    ok = ok and content
    if not content:
        observed.append("the second origin's client did not give back the model's content")
    if ok:
        if not spec["files"]:
            return "PASS", "the model's output is right on both origins"
        return "PASS", "; ".join(observed)
    missing = []
    for probe, where in spec["needs"]:
        if a.get("probes", {}).get(probe) is False or b.get("probes", {}).get(probe) is False:
            missing.append(f"{probe} is missing ({where})")
    errors = "; ".join(x for x in (
        a.get("error") and f"first origin: {a['error']}",
        b.get("error") and f"second origin: {b['error']}",
        a.get("model_error") and f"first origin, the model: {a['model_error']}",
        b.get("model_error") and f"second origin, the model: {b['model_error']}",
        b.get("engine_error") and f"second origin, the engine: {b['engine_error']}") if x)
    detail = "; ".join(observed) + (f"; client error: {errors}" if errors else "")
    if missing:
        return "BLOCKED", "; ".join(missing) + ". Observed: " + detail
    return "FAIL", detail + f" (bytes per origin: {per_origin})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shell", help="the servo-cos binary")
    parser.add_argument("--only", help="comma-separated clients (" + ", ".join(
        n for n in CLIENTS if " " not in n) + ")")
    parser.add_argument("--shell-arg", action="append", default=[],
                        help="an extra argument for every shell run (e.g. --pref=NAME=VALUE)")
    parser.add_argument("--node-dir", default=os.path.join(cache_dir(), "compat-node"),
                        help="where the clients are installed (default: %(default)s)")
    parser.add_argument("--timeout", type=int, default=180, help="seconds per shell run")
    parser.add_argument("--verbose", action="store_true",
                        help="print every run's console lines and the hub's requests")
    parser.add_argument("--json", help="write every run's results and console here")
    parser.add_argument("--page-host", default="127.0.0.1",
                        help="the host name the pages are loaded from (default: %(default)s; "
                             "both origins use it, on two ports)")
    args = parser.parse_args()
    shell = os.path.abspath(args.shell)
    if not os.access(shell, os.X_OK):
        print(f"no shell binary at {shell}", file=sys.stderr)
        return 2
    names = [n for n in CLIENTS if " " not in n]
    if args.only:
        names = [n.strip() for n in args.only.split(",")]
        unknown = [n for n in names if n not in CLIENTS or " " in n]
        if unknown:
            parser.error(f"unknown client(s): {', '.join(unknown)}")

    not_installed = install(args.node_dir, args.verbose) \
        if any(CLIENTS[n]["package"] for n in names) else None
    hub_server, hub = hubmod.serve()
    hub_url = f"http://127.0.0.1:{hub_server.server_address[1]}"
    site_a, site_b = serve_pages(args.node_dir), serve_pages(args.node_dir)
    origin_a = f"http://{args.page_host}:{site_a.server_address[1]}"
    origin_b = f"http://{args.page_host}:{site_b.server_address[1]}"

    passed = failed = skipped = 0
    record = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            spec = CLIENTS[name]
            if spec["package"] and not_installed:
                print(f"SKIP {name}: {not_installed}", flush=True)
                skipped += 1
                continue
            version = installed_version(args.node_dir, spec["package"]) if spec["package"] \
                else "our loader"
            profile = os.path.join(tmp, f"profile-{name}")
            runs = {}
            for step, origin in (("A", origin_a), ("B", origin_b)):
                phase = f"{name}:{step}"
                hub.set_phase(phase)
                url = (f"{origin}/{name}.html?hub={urllib.parse.quote(hub_url, safe='')}"
                       f"&step={'store' if step == 'A' else 'read'}")
                result, console, stderr = run_shell(shell, profile, url, args.timeout,
                                                    args.shell_arg)
                runs[step] = {"phase": phase, "url": url, "result": result, "console": console,
                              "stderr": stderr}
                if args.verbose:
                    print(f"--- {name} {step}: {url}")
                    for line in console:
                        print("   ", line[:2000])
                    for req in hub.requests:
                        if req[0] == phase:
                            print("    hub:", req[1:])
            hub.set_phase("-")
            record[name] = runs
            for sub in [name] + [n for n, s in CLIENTS.items() if s.get("same_run_as") == name]:
                status, detail = judge(sub, CLIENTS[sub], hub, runs)
                label = f"{sub} {version}"
                print(f"{status} {label}: {detail}", flush=True)
                if status == "PASS":
                    passed += 1
                elif status == "FAIL":
                    failed += 1
                    for step in ("A", "B"):
                        for line in runs[step]["console"][-12:]:
                            print(f"    {step} {line[:500]}")
                else:
                    skipped += 1
    if args.json:
        with open(args.json, "w") as f:
            json.dump(record, f, indent=1)
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
