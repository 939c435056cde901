// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at https://mozilla.org/MPL/2.0/.

// An Emscripten-style loader for app.wasm, written for the compatibility
// suite (no package on a registry ships one that uses Cross-Origin Storage;
// see docs/compat.md). The fake hub serves it as /emscripten/app.js with the
// wasm's SHA-256 filled in, the way an Emscripten link step bakes the hash
// of the .wasm it just wrote into the JavaScript it emits.
//
// It follows the shape of the Wasm loading that Emscripten 6.0.1 and later
// emit with -sCROSS_ORIGIN_STORAGE (instantiateAsync in src/preamble.js):
// look the hash up with navigator.crossOriginStorage.requestFileHandle() and
// instantiate the stored bytes; on any error fetch the .wasm, instantiate it,
// and store it without waiting (create: true, origins: '*'), reporting
// through optional Module callbacks (onCOSCacheHit, onCOSCacheMiss,
// onCOSStore); without the API, the usual streaming instantiation.

var Module = globalThis.Module || (globalThis.Module = {});
Module.wasmHash = { algorithm: "SHA-256", value: "@WASM_SHA256@" };

(function () {
  var scriptUrl = document.currentScript && document.currentScript.src;
  var wasmUrl = Module.locateFile ? Module.locateFile("app.wasm") : new URL("app.wasm", scriptUrl).href;
  var log = Module.printErr || console.warn.bind(console);

  async function storeInBackground(bytes) {
    try {
      var handle = await navigator.crossOriginStorage.requestFileHandle(
        Module.wasmHash, { create: true, origins: "*" });
      var writable = await handle.createWritable();
      await writable.write(new Blob([bytes], { type: "application/wasm" }));
      await writable.close();
      if (Module.onCOSStore) Module.onCOSStore(Module.wasmHash.value);
    } catch (e) {
      log("COS store failed: " + e);
      if (Module.onCOSStoreFailed) Module.onCOSStoreFailed(e);
    }
  }

  async function instantiateAsync(imports) {
    if (globalThis.navigator && navigator.crossOriginStorage) {
      try {
        var stored = await navigator.crossOriginStorage.requestFileHandle(Module.wasmHash);
        var bytes = await (await stored.getFile()).arrayBuffer();
        if (Module.onCOSCacheHit) Module.onCOSCacheHit(Module.wasmHash.value);
        return await WebAssembly.instantiate(bytes, imports);
      } catch (lookupError) {
        try {
          var response = await fetch(wasmUrl, { credentials: "same-origin" });
          var fetched = await response.arrayBuffer();
          if (Module.onCOSCacheMiss) Module.onCOSCacheMiss(Module.wasmHash.value, wasmUrl);
          storeInBackground(fetched);
          return await WebAssembly.instantiate(fetched, imports);
        } catch (fetchError) {
          log("COS fallback fetch failed: " + fetchError);
        }
      }
    }
    return WebAssembly.instantiateStreaming(fetch(wasmUrl, { credentials: "same-origin" }), imports);
  }

  Module.ready = instantiateAsync({}).then(function (result) {
    Module.instance = result.instance;
    Module.asm = result.instance.exports;
    return Module;
  });
})();
