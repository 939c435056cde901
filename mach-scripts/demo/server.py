# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""The demo's two sites: the same pages on http://127.0.0.1:P and
http://localhost:Q (different sites, both secure contexts), plus a model
file made up on the spot and its manifest (size, SHA-256, the two sites)."""

import hashlib
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import siteserver  # noqa: E402

MODEL_SIZE = 24 << 20


def model_bytes():
    # Deterministic, so the hash is the same every run (and so is the entry).
    return random.Random(2026).randbytes(MODEL_SIZE)


class Handler(siteserver.Handler):
    model = b""
    manifest = b""
    sites = []

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/model.bin":
            return self.reply(self.model, "application/octet-stream")
        if path == "/model.json":
            return self.reply(self.manifest, "application/json")
        return super().do_GET()

    def reply(self, body, content_type):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def allow_origin(self):
        # The storing page authorizes the sites it lists.
        return ", ".join(self.sites)


def start():
    """Starts both sites; returns their origins."""
    a = siteserver.serve("127.0.0.1", HERE, Handler)
    b = siteserver.serve("127.0.0.1", HERE, Handler)
    sites = [f"http://127.0.0.1:{a.server_address[1]}", f"http://localhost:{b.server_address[1]}"]
    model = model_bytes()
    Handler.model = model
    Handler.sites = sites
    Handler.manifest = json.dumps({
        "url": "model.bin",
        "size": len(model),
        "sha256": hashlib.sha256(model).hexdigest(),
        "sites": sites,
    }).encode()
    return sites
