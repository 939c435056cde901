# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""Serves web-platform-tests with wptserve, as WPT's own server does.

Runs in the virtual environment `./mach test-wpt` makes (wptserve from PyPI).
Usage: serve.py CONFIG_JSON. Prints "READY" once every port listens.

On top of wptserve's file, .sub and .headers handling, it adds what WPT's
tools/serve adds: the generated .any.html, .any.worker.html,
.any.sharedworker.html, .any.worker.js, .window.html and .worker.html
wrappers (not .any.serviceworker.html: see discover.UNSUPPORTED). For our
own suite it serves the harness files this project provides (testharnessreport.js, testdriver,
get-host-info) and testharness.js from npm; for an upstream checkout
(--wpt-root) it serves the checkout's files unchanged except the two a
runner always supplies, testharnessreport.js and testdriver-vendor.js.
"""

import json
import logging
import os
import re
import signal
import sys
import time
import uuid

from wptserve import handlers, server, stash
from wptserve import routes as default_routes
from wptserve.config import ConfigBuilder

# discover.py sits beside this file (sys.path[0] when run as a script) and
# needs only the standard library: the same name-to-source mapping as the
# runner's discovery.
from discover import source_of


def meta(script_path):
    """The `// META: key=value` lines at the top of a .any.js/.window.js."""
    found = []
    with open(script_path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\s*//\s*META:\s*(\w+)=(.*)$", line)
            if m:
                found.append((m.group(1), m.group(2).strip()))
            elif line.strip() and not line.strip().startswith("//"):
                break
    return found


def script_tags(metas):
    return "".join(f'<script src="{v}"></script>\n' for k, v in metas if k == "script")


def timeout_meta(metas):
    return '<meta name="timeout" content="long">\n' if ("timeout", "long") in metas else ""


def title(metas):
    titles = [v for k, v in metas if k == "title"]
    return f"<title>{titles[0]}</title>\n" if titles else ""


def global_object(kind):
    """`self.GLOBAL`, which WPT's server defines in every generated .any.js
    wrapper so that a test can ask which global it runs in."""
    is_window, is_worker = ("true", "false") if kind == "Window" else ("false", "true")
    return ("self.GLOBAL = {\n"
            f"  isWindow: function() {{ return {is_window}; }},\n"
            f"  isWorker: function() {{ return {is_worker}; }},\n"
            "  isShadowRealm: function() { return false; },\n"
            "};\n")


# The generated pages this server answers: suffix -> what the page runs the
# test in (a window, or a worker the page starts). Service-worker and
# ShadowRealm pages are not generated: the shell cannot run them
# (discover.UNSUPPORTED).
PAGES = [(".any.sharedworker.html", "SharedWorker"),
         (".any.worker.html", "Worker"),
         (".any.html", "window"),
         (".window.html", "window"),
         (".worker.html", "Worker")]

HARNESS = ('<script src="/resources/testharness.js"></script>\n'
           '<script src="/resources/testharnessreport.js"></script>\n')


def wrapper(doc_root):
    """Generates the wrappers WPT's server generates (tools/serve/serve.py:
    AnyHtmlHandler, WorkersHandler, SharedWorkersHandler, AnyWorkerHandler,
    WindowHandler): a page for each global, and x.any.worker.js, the script
    the dedicated and shared workers run."""
    def handle(request, response):
        path = request.url_parts.path
        query = f"?{request.url_parts.query}" if request.url_parts.query else ""
        if path.endswith(".any.worker.js"):
            source_url, kind = path[: -len(".any.worker.js")] + ".any.js", "worker-js"
        else:
            source_url = source_of(path)
            kind = next((k for suffix, k in PAGES if path.endswith(suffix)), None)
            if source_url is None or kind is None:
                raise handlers.HTTPException(404)
        source = os.path.join(doc_root, source_url.lstrip("/"))
        if not os.path.isfile(source):
            raise handlers.HTTPException(404)
        metas = meta(source)
        if kind == "worker-js":
            imports = "".join(f'importScripts("{v}");\n' for k, v in metas if k == "script")
            body = (global_object("Worker") + 'importScripts("/resources/testharness.js");\n' +
                    imports +
                    f'importScripts("{source_url}");\ndone();\n')
            response.headers.set("Content-Type", "text/javascript")
        elif kind in ("Worker", "SharedWorker"):
            # x.worker.js runs as it is; an x.any.js through x.any.worker.js.
            worker_url = source_url if source_url.endswith(".worker.js") \
                else source_url[: -len(".any.js")] + ".any.worker.js"
            body = ("<!doctype html>\n<meta charset=utf-8>\n" + timeout_meta(metas) + title(metas) +
                    HARNESS + "<div id=log></div>\n"
                    "<script>fetch_tests_from_worker("
                    f'new {kind}("{worker_url}{query}"));</script>\n')
            response.headers.set("Content-Type", "text/html")
        else:
            body = ("<!doctype html>\n<meta charset=utf-8>\n" + timeout_meta(metas) + title(metas) +
                    "<script>\n" + global_object("Window") + "</script>\n" +
                    HARNESS + script_tags(metas) + "<div id=log></div>\n" +
                    f'<script src="{source_url}"></script>\n')
            response.headers.set("Content-Type", "text/html")
        response.content = body
    return handle


def static(path, content_type, substitutions=None):
    def handle(request, response):
        with open(path, "rb") as f:
            content = f.read()
        for placeholder, value in (substitutions or {}).items():
            content = content.replace(placeholder, value)
        response.content = content
        response.headers.set("Content-Type", content_type)
    return handle


def main():
    # `./mach test-wpt` stops the server with SIGTERM: leave through the
    # `with` blocks so that the stash's manager process exits too (an orphan
    # would hold the runner's output open).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(sys.argv[1]) as f:
        settings = json.load(f)
    doc_root = settings["doc_root"]
    logger = logging.getLogger("wptserve")
    logging.basicConfig(level=logging.WARNING)
    builder = ConfigBuilder(
        logger,
        browser_host="web-platform.test",
        alternate_hosts={"alt": "not-web-platform.test"},
        subdomains={"www", "www1", "www2", "天気の良い日", "élève"},
        not_subdomains={"nonexistent"},
        doc_root=doc_root,
        ports={"http": [8000, 8001], "https": [8443, 8444]},
        ssl={"type": "openssl", "openssl": {"base_path": settings["cert_dir"]}},
    )
    js = "text/javascript"
    # A checkout's own testharness.js is served as it is (wptrunner does the
    # same); our suite, which has no copy, gets the npm package's.
    routes = [("GET", f"/resources/{name}", static(os.path.join(settings["harness_dir"], name), js))
              for name in ("testharness.js", "idlharness.js", "webidl2.js")
              if not (settings["upstream"]
                      and os.path.isfile(os.path.join(doc_root, "resources", name)))]
    # WPT's own server answers /resources/WebIDLParser.js (a placeholder in
    # the checkout) with the WebIDL parser, resources/webidl2/webidl2.js.
    parser = os.path.join(doc_root, "resources", "webidl2", "webidl2.js")
    if not (settings["upstream"] and os.path.isfile(parser)):
        parser = os.path.join(settings["harness_dir"], "webidl2.js")
    routes.insert(0, ("GET", "/resources/WebIDLParser.js", static(parser, js)))
    ours = settings["infrastructure_dir"]
    routes += [("GET", "/resources/testharnessreport.js",
                static(os.path.join(ours, "resources", "testharnessreport.js"), js)),
               ("GET", "/resources/testdriver-vendor.js",
                static(os.path.join(ours, "resources", "testdriver-vendor.js"), js,
                       {b"@TEST_DRIVER_TOKEN@": settings["test_driver_token"].encode()}))]
    if not settings["upstream"]:
        routes += [("GET", "/resources/testdriver.js",
                    static(os.path.join(ours, "resources", "testdriver.js"), js)),
                   ("*", "/common/*", handlers.file_handler)]
    generated = wrapper(doc_root)
    routes += [("GET", pattern, generated)
               for pattern in ["*.any.worker.js"] + ["*" + suffix for suffix, _ in PAGES]]
    routes += default_routes.routes

    # Our common/ files live beside the runner, not in the tests' root.
    if not settings["upstream"]:
        common_root = ours
        common = handlers.FileHandler(base_path=common_root, url_base="/")
        routes = [r if r[1] != "/common/*" else ("*", "/common/*", common) for r in routes]

    # The stash Python handlers share across requests and ports (WPT's
    # common/dispatcher/ remote contexts, for one), as WPT's server runs it.
    with builder as config, stash.StashServer(("127.0.0.1", 0), authkey=uuid.uuid4().hex):
        servers = []
        for scheme, ports in config.ports.items():
            for port in ports:
                ssl = scheme == "https"
                httpd = server.WebTestHttpd(
                    host="127.0.0.1", port=port, doc_root=doc_root, routes=routes,
                    use_ssl=ssl,
                    key_file=config.ssl_config["key_path"] if ssl else None,
                    certificate=config.ssl_config["cert_path"] if ssl else None,
                    config=config)
                httpd.start()
                servers.append(httpd)
        print("READY", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            for httpd in servers:
                httpd.stop()


if __name__ == "__main__":
    main()
