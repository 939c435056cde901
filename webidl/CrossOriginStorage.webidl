/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

// https://wicg.github.io/cross-origin-storage/#the-crossoriginstoragemanager-interface
// getFileHandle() is the spec's method (WICG index.bs at ec6b1c1e).
// requestFileHandle() (its older name, which Transformers.js 4.3, Emscripten's
// preamble and Flutter's web loader call) and requestFileHandles() (the older
// plural shape) are kept as deprecated aliases: each logs a deprecation
// warning once per global.

dictionary CrossOriginStorageGetFileHandleHash {
  required DOMString value;
  required DOMString algorithm;
};

dictionary CrossOriginStorageGetFileHandleOptions {
  boolean create = false;
  (DOMString or sequence<DOMString>) origins;
};

[SecureContext, Exposed=(Window,Worker), Pref="dom_cross_origin_storage_enabled"]
interface CrossOriginStorageManager {
  [NewObject]
  Promise<FileSystemFileHandle> getFileHandle(
      CrossOriginStorageGetFileHandleHash hash,
      optional CrossOriginStorageGetFileHandleOptions options = {});

  [NewObject]
  Promise<FileSystemFileHandle> requestFileHandle(
      CrossOriginStorageGetFileHandleHash hash,
      optional CrossOriginStorageGetFileHandleOptions options = {});

  [NewObject]
  Promise<sequence<FileSystemFileHandle>> requestFileHandles(
      sequence<CrossOriginStorageGetFileHandleHash> hashes,
      optional CrossOriginStorageGetFileHandleOptions options = {});
};

partial interface Navigator {
  [SecureContext, SameObject, Pref="dom_cross_origin_storage_enabled"]
  readonly attribute CrossOriginStorageManager crossOriginStorage;
};

partial interface WorkerNavigator {
  [SecureContext, SameObject, Pref="dom_cross_origin_storage_enabled"]
  readonly attribute CrossOriginStorageManager crossOriginStorage;
};
