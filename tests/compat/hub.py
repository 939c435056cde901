# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""A fake Hugging Face hub for the compatibility suite, and the small
deterministic models it serves.

Layout, as the hub answers it (what the clients rely on):

  /<org>/<repo>/resolve/main/<file>
      A file tracked by Git LFS (the models): 302 to /cdn/<sha256> (the hub
      sends its LFS files from a CDN host; here the same server), with
      ETag and X-Linked-Etag (the sha256, quoted), X-Linked-Size and
      X-Repo-Commit. /cdn/<sha256> answers the bytes with Content-Length,
      ETag and Accept-Ranges. Any other file: 200 with the bytes.
  /<org>/<repo>/raw/main/<file>
      An LFS file's pointer ("version https://git-lfs.github.com/spec/v1",
      "oid sha256:<hex>", "size <n>"); any other file itself.
  /emscripten/<file>
      A wasm application and its loader, served as a web server would.

Every answer carries Access-Control-Allow-Origin: * and exposes the headers
above, as the hub does. The hub counts, per phase (the runner names a phase
before each browser run) and per requesting origin (the Origin header, or
"-" when a request has none), the body bytes it sent of each model file, so
the runner can tell how many model bytes each run downloaded. HEAD answers
send no body and count nothing.

The models (all bytes are a function of their name; nothing random):

  transformers  compat/tiny-matmul: config.json, tokenizer_config.json, a
                2.5 MiB WordPiece tokenizer.json (LFS) and onnx/model.onnx, an ONNX
                graph y = x @ W with W 1024x1024 float32 (4 MiB), whose
                output for x[i] = i % 5 + 1 is known here.
  web-llm       compat/tiny-llm-q4f32_1-MLC: mlc-chat-config.json,
                tensor-cache.json, one params shard, and the model library
                (a wasm module, 3 MiB) that web-llm fetches before WebGPU.
  wllama        compat/tiny-gguf: model.gguf (3 MiB; a GGUF header and data).
  emscripten    /emscripten/app.wasm (3 MiB data segment, exports size() and
                byte_at(i)) and app.js, the loader with the wasm's SHA-256
                baked in as an emscripten link step does.
"""

import hashlib
import http.server
import json
import os
import re
import struct
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "mach-scripts"))
import siteserver  # noqa: E402

REPO_COMMIT = "c0ffee" * 6 + "c0de"  # 40 hex digits, fixed


def stream(name, size):
    """`size` bytes determined by `name`: SHA-256 in counter mode."""
    out = bytearray()
    seed = name.encode()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(seed + counter.to_bytes(8, "little")).digest()
        counter += 1
    return bytes(out[:size])


# --- protobuf (for the ONNX model) -------------------------------------------

def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(number, wire, payload):
    key = _varint((number << 3) | wire)
    if wire == 0:
        return key + _varint(payload)
    return key + _varint(len(payload)) + payload


def _msg(number, payload):
    return _field(number, 2, payload)


def _str(number, text):
    return _field(number, 2, text.encode())


def _int(number, value):
    return _field(number, 0, value)


def matmul_weight(i, j):
    """W[i][j]: small integers, so every sum is exact in float32."""
    return float(((i * 31 + j * 17) % 7) - 3)


def onnx_matmul(n=1024, m=1024):
    """An ONNX model: input x [1, n] float32, initializer W [n, m], y = x @ W.
    Returns (bytes, expected y for x[i] = i % 5 + 1)."""
    def value_info(name, dims):
        shape = b"".join(_msg(1, _int(1, d)) for d in dims)
        tensor_type = _int(1, 1) + _msg(2, shape)  # elem_type FLOAT
        return _str(1, name) + _msg(2, _msg(1, tensor_type))

    weights = struct.pack(f"<{n * m}f", *(matmul_weight(i, j) for i in range(n) for j in range(m)))
    initializer = (_int(1, n) + _int(1, m) + _int(2, 1) + _str(8, "W") + _field(9, 2, weights))
    node = _str(1, "x") + _str(1, "W") + _str(2, "y") + _str(3, "matmul") + _str(4, "MatMul")
    graph = (_msg(1, node) + _str(2, "tiny-matmul") + _msg(5, initializer)
             + _msg(11, value_info("x", [1, n])) + _msg(12, value_info("y", [1, m])))
    model = (_int(1, 8) + _str(2, "servo-cos compat suite") + _msg(8, _str(1, "") + _int(2, 13))
             + _msg(7, graph))
    expected = [sum((i % 5 + 1) * matmul_weight(i, j) for i in range(n)) for j in range(m)]
    return model, expected


# --- WebAssembly ------------------------------------------------------------

def _uleb(n):
    return _varint(n)


def _sleb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if (n == 0 and not b & 0x40) or (n == -1 and b & 0x40):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def _section(sid, payload):
    return bytes([sid]) + _uleb(len(payload)) + payload


def _name(text):
    return _uleb(len(text)) + text.encode()


def wasm_with_data(payload):
    """A wasm module whose memory holds `payload` at 0 and which exports
    memory, size() -> i32 (its length) and byte_at(i32) -> i32."""
    pages = len(payload) // 65536 + 1
    types = _uleb(2) + b"\x60\x00\x01\x7f" + b"\x60\x01\x7f\x01\x7f"
    funcs = _uleb(2) + _uleb(0) + _uleb(1)
    memory = _uleb(1) + b"\x00" + _uleb(pages)
    exports = (_uleb(3) + _name("memory") + b"\x02" + _uleb(0)
               + _name("size") + b"\x00" + _uleb(0) + _name("byte_at") + b"\x00" + _uleb(1))
    size_body = b"\x00" + b"\x41" + _sleb(len(payload)) + b"\x0b"
    byte_body = b"\x00" + b"\x20\x00" + b"\x2d\x00\x00" + b"\x0b"
    code = _uleb(2) + _uleb(len(size_body)) + size_body + _uleb(len(byte_body)) + byte_body
    data = _uleb(1) + b"\x00" + b"\x41\x00\x0b" + _uleb(len(payload)) + payload
    return (b"\x00asm" + struct.pack("<I", 1) + _section(1, types) + _section(3, funcs)
            + _section(5, memory) + _section(7, exports) + _section(10, code) + _section(11, data))


def wordpiece_tokenizer(words=120000):
    """A WordPiece tokenizer.json of about 2 MiB (LFS-tracked, as a large
    tokenizer.json is on the hub), its tokenizer_config.json, a text and
    the ids it encodes to."""
    vocab = {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "[PAD]": 3}
    for i in range(words):
        vocab[f"w{hashlib.sha256(str(i).encode()).hexdigest()[:10]}"] = len(vocab)
    for word in ("servo", "cross", "origin", "storage", "##s", "shares", "model"):
        vocab[word] = len(vocab)
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True}
                         for t in ("[UNK]", "[CLS]", "[SEP]", "[PAD]")],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": None,
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab},
    }
    config = {"tokenizer_class": "BertTokenizer", "do_lower_case": True,
              "unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]",
              "pad_token": "[PAD]", "model_max_length": 512}
    text = "Servo cross origin storages shares model"
    ids = [vocab["servo"], vocab["cross"], vocab["origin"], vocab["storage"], vocab["##s"],
           vocab["shares"], vocab["model"]]
    return json.dumps(tokenizer).encode(), config, text, ids


def gguf(size):
    """A GGUF v3 file of `size` bytes: a header with one metadata key and no
    tensors, then deterministic padding (wllama's cache stores it as is)."""
    key = b"general.name"
    value = b"servo-cos compat tiny-gguf"
    header = (b"GGUF" + struct.pack("<I", 3) + struct.pack("<Q", 0) + struct.pack("<Q", 1)
              + struct.pack("<Q", len(key)) + key + struct.pack("<I", 8)
              + struct.pack("<Q", len(value)) + value)
    return header + stream("tiny-gguf", size - len(header))


# --- the models -------------------------------------------------------------

class File:
    def __init__(self, data, lfs, model=False, content_type="application/octet-stream"):
        self.data = data
        self.lfs = lfs
        self.model = model  # counted as model bytes
        self.content_type = content_type
        self.sha256 = hashlib.sha256(data).hexdigest()


def build_models():
    """{repo: {path: File}} and a manifest the pages and the runner read."""
    repos, manifest = {}, {}

    onnx, expected = onnx_matmul()
    config = {"model_type": "servo-cos-tiny-matmul", "architectures": ["TinyMatMul"]}
    tokenizer, tokenizer_config, text, ids = wordpiece_tokenizer()
    repos["compat/tiny-matmul"] = {
        "config.json": File(json.dumps(config).encode(), False, content_type="application/json"),
        "tokenizer_config.json": File(json.dumps(tokenizer_config).encode(), False,
                                      content_type="application/json"),
        "tokenizer.json": File(tokenizer, True, model=True, content_type="application/json"),
        "onnx/model.onnx": File(onnx, True, model=True),
    }
    manifest["transformers"] = {
        "repo": "compat/tiny-matmul", "model_file": "onnx/model.onnx",
        "tokenizer_file": "tokenizer.json", "text": text, "ids": ids,
        "input": "x", "output": "y", "n": 1024,
        "expected_sum": sum(expected), "expected_head": expected[:8],
    }

    lib = wasm_with_data(stream("tiny-llm model library", 3 << 20))
    shard = stream("tiny-llm params_shard_0", 1 << 20)
    mlc_config = {"model_type": "llama", "vocab_size": 32, "context_window_size": 64,
                  "conv_template": {"name": "llama-2"}, "tokenizer_files": ["tokenizer.json"]}
    tensor_cache = {"metadata": {"ParamSize": 1, "ParamBytes": len(shard)},
                    "records": [{"dataPath": "params_shard_0.bin", "format": "raw-shard",
                                 "nbytes": len(shard), "records": [
                                     {"name": "w", "shape": [len(shard) // 4], "dtype": "float32",
                                      "format": "raw", "nbytes": len(shard),
                                      "byteOffset": 0}],
                                 "md5sum": hashlib.md5(shard).hexdigest()}]}
    repos["compat/tiny-llm-q4f32_1-MLC"] = {
        "mlc-chat-config.json": File(json.dumps(mlc_config).encode(), False,
                                     content_type="application/json"),
        "tensor-cache.json": File(json.dumps(tensor_cache).encode(), False,
                                  content_type="application/json"),
        "params_shard_0.bin": File(shard, True, model=True),
        "tiny-llm-q4f32_1-webgpu.wasm": File(lib, True, model=True, content_type="application/wasm"),
    }
    manifest["web-llm"] = {"repo": "compat/tiny-llm-q4f32_1-MLC",
                           "model_lib": "tiny-llm-q4f32_1-webgpu.wasm",
                           "weights": "params_shard_0.bin"}

    repos["compat/tiny-gguf"] = {"model.gguf": File(gguf(3 << 20), True, model=True)}
    manifest["wllama"] = {"repo": "compat/tiny-gguf", "model_file": "model.gguf"}

    app = wasm_with_data(stream("emscripten app data", 3 << 20))
    repos["emscripten"] = {"app.wasm": File(app, False, model=True, content_type="application/wasm")}
    manifest["emscripten"] = {"wasm": "/emscripten/app.wasm", "loader": "/emscripten/app.js",
                              "probe_bytes": {str(i): app_byte(app, i) for i in (0, 1, 4097, 3 << 19)}}

    for client, entry in manifest.items():
        files = repos["emscripten" if client == "emscripten" else entry["repo"]]
        entry["files"] = {path: {"sha256": f.sha256, "size": len(f.data), "lfs": f.lfs,
                                 "model": f.model} for path, f in files.items()}
    return repos, manifest


def app_byte(wasm, index):
    """The byte at `index` of the payload that wasm_with_data placed at 0."""
    payload_start = wasm.rindex(b"\x41\x00\x0b") + 3
    length, shift, pos = 0, 0, payload_start
    while True:
        b = wasm[pos]
        length |= (b & 0x7F) << shift
        pos += 1
        shift += 7
        if not b & 0x80:
            break
    return wasm[pos + index]


LOADER_TEMPLATE = os.path.join(HERE, "pages", "emscripten-loader.js")


class Hub:
    """The hub's state: its files and byte counts. One instance per run."""

    def __init__(self):
        self.repos, self.manifest = build_models()
        self.by_hash = {f.sha256: (repo, path, f) for repo, files in self.repos.items()
                        for path, f in files.items()}
        self.lock = threading.Lock()
        self.phase = "-"
        self.counts = {}  # (phase, origin, "repo/path") -> bytes
        self.requests = []  # (phase, origin, method, path, status)

    def set_phase(self, phase):
        with self.lock:
            self.phase = phase

    def count(self, origin, key, n):
        with self.lock:
            k = (self.phase, origin, key)
            self.counts[k] = self.counts.get(k, 0) + n

    def log(self, origin, method, path, status):
        with self.lock:
            self.requests.append((self.phase, origin, method, path, status))

    def model_bytes(self, phase, client=None):
        """Model bytes sent during `phase` ({origin: {file: bytes}})."""
        out = {}
        with self.lock:
            for (p, origin, key), n in self.counts.items():
                if p != phase:
                    continue
                out.setdefault(origin, {})[key] = out.get(origin, {}).get(key, 0) + n
        return out

    def loader(self):
        app = self.repos["emscripten"]["app.wasm"]
        with open(LOADER_TEMPLATE) as f:
            return f.read().replace("@WASM_SHA256@", app.sha256).encode()


class Handler(siteserver.Handler):
    hub = None  # set by serve()

    def end_headers(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Expose-Headers",
                         "ETag, X-Linked-Etag, X-Linked-Size, X-Repo-Commit, Content-Length, "
                         "Content-Range, Accept-Ranges")
        super().end_headers()

    def do_OPTIONS(self):
        self.send_response(204)
        self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "*")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_HEAD(self):
        self.answer(body=False)

    def do_GET(self):
        self.answer(body=True)

    def origin(self):
        return self.headers.get("Origin") or "-"

    def fail(self, status, text):
        data = text.encode()
        self.hub.log(self.origin(), self.command, self.path, status)
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_file(self, key, f, body, extra=()):
        self.hub.log(self.origin(), self.command, self.path, 200)
        self.send_response(200)
        self.send_header("Content-Type", f.content_type)
        self.send_header("Content-Length", str(len(f.data)))
        self.send_header("ETag", f'"{f.sha256}"' if f.lfs else f'"{hashlib.sha1(f.data).hexdigest()}"')
        self.send_header("Accept-Ranges", "bytes")
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(f.data)
            if f.model:
                self.hub.count(self.origin(), key, len(f.data))

    def answer(self, body):
        path = self.path.split("?", 1)[0]
        hub = self.hub
        if path == "/manifest.json":
            data = json.dumps(hub.manifest).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if body:
                self.wfile.write(data)
            return
        m = re.fullmatch(r"/cdn/([0-9a-f]{64})", path)
        if m and m.group(1) in hub.by_hash:
            repo, file_path, f = hub.by_hash[m.group(1)]
            return self.send_file(f"{repo}/{file_path}", f, body)
        if path == "/emscripten/app.js":
            data = hub.loader()
            self.hub.log(self.origin(), self.command, self.path, 200)
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if body:
                self.wfile.write(data)
            return
        if path == "/emscripten/app.wasm":
            return self.send_file("emscripten/app.wasm", hub.repos["emscripten"]["app.wasm"], body)
        m = re.fullmatch(r"/([^/]+/[^/]+)/(resolve|raw)/main/(.+)", path)
        if not m or m.group(1) not in hub.repos or m.group(3) not in hub.repos[m.group(1)]:
            # The hub answers 404 with X-Error-Code for a missing entry.
            return self.fail(404, "Entry not found")
        repo, kind, file_path = m.groups()
        f = hub.repos[repo][file_path]
        common = [("X-Repo-Commit", REPO_COMMIT)]
        if kind == "raw":
            if f.lfs:
                pointer = (f"version https://git-lfs.github.com/spec/v1\n"
                           f"oid sha256:{f.sha256}\nsize {len(f.data)}\n").encode()
                raw = File(pointer, False, content_type="text/plain; charset=utf-8")
                return self.send_file(f"{repo}/{file_path}.pointer", raw, body, common)
            return self.send_file(f"{repo}/{file_path}", f, body, common)
        if f.lfs:
            self.hub.log(self.origin(), self.command, self.path, 302)
            self.send_response(302)
            self.send_header("Location", f"/cdn/{f.sha256}")
            self.send_header("ETag", f'"{f.sha256}"')
            self.send_header("X-Linked-Etag", f'"{f.sha256}"')
            self.send_header("X-Linked-Size", str(len(f.data)))
            for name, value in common:
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        return self.send_file(f"{repo}/{file_path}", f, body, common)


def serve(host="127.0.0.1", hub=None):
    """Starts the hub on `host` at a free port; returns (server, hub)."""
    hub = hub or Hub()
    handler = type("BoundHandler", (Handler,), {"hub": hub})
    return siteserver.serve(host, HERE, handler), hub


if __name__ == "__main__":
    server, hub = serve()
    print(f"hub on http://127.0.0.1:{server.server_address[1]}/ "
          f"(manifest: /manifest.json); Ctrl-C stops it", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
