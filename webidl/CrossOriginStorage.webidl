/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

// https://wicg.github.io/cross-origin-storage/#the-crossoriginstoragemanager-interface
// getFileHandle() is the newest name (the spec's TypeScript shape);
// requestFileHandle() is the spec text's; requestFileHandles() is the older
// plural shape that Transformers.js and the browser extension still call.

dictionary CrossOriginStorageRequestFileHandleHash {
  required DOMString value;
  required DOMString algorithm;
};

dictionary CrossOriginStorageRequestFileHandleOptions {
  boolean create = false;
  (DOMString or sequence<DOMString>) origins;
};

[SecureContext, Exposed=(Window,DedicatedWorker), Pref="dom_cross_origin_storage_enabled"]
interface CrossOriginStorageManager {
  [NewObject]
  Promise<FileSystemFileHandle> getFileHandle(
      CrossOriginStorageRequestFileHandleHash hash,
      optional CrossOriginStorageRequestFileHandleOptions options = {});

  [NewObject]
  Promise<FileSystemFileHandle> requestFileHandle(
      CrossOriginStorageRequestFileHandleHash hash,
      optional CrossOriginStorageRequestFileHandleOptions options = {});

  [NewObject]
  Promise<sequence<FileSystemFileHandle>> requestFileHandles(
      sequence<CrossOriginStorageRequestFileHandleHash> hashes,
      optional CrossOriginStorageRequestFileHandleOptions options = {});
};

partial interface Navigator {
  [SecureContext, SameObject, Pref="dom_cross_origin_storage_enabled"]
  readonly attribute CrossOriginStorageManager crossOriginStorage;
};

partial interface WorkerNavigator {
  [SecureContext, SameObject, Exposed=DedicatedWorker, Pref="dom_cross_origin_storage_enabled"]
  readonly attribute CrossOriginStorageManager crossOriginStorage;
};
