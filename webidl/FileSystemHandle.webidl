/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

// https://fs.spec.whatwg.org/#api-filesystemhandle
// https://fs.spec.whatwg.org/#api-filesystemfilehandle
// https://wicg.github.io/file-system-access/#api-filesystemhandle-querypermission
//
// Only what Cross-Origin Storage hands out: file handles whose name is the
// hash value. move() and remove() exist and always refuse (entries are
// content-addressed and shared); a sync access handle is never available.

enum FileSystemHandleKind { "file", "directory" };

enum FileSystemPermissionMode { "read", "readwrite" };

dictionary FileSystemHandlePermissionDescriptor {
  FileSystemPermissionMode mode = "read";
};

dictionary FileSystemRemoveOptions {
  boolean recursive = false;
};

[Exposed=(Window,Worker), SecureContext, Serializable, Pref="dom_cross_origin_storage_enabled"]
interface FileSystemHandle {
  readonly attribute FileSystemHandleKind kind;
  readonly attribute USVString name;

  Promise<boolean> isSameEntry(FileSystemHandle other);

  Promise<undefined> move(optional any destinationOrName, optional USVString newEntryName);
  Promise<undefined> remove(optional FileSystemRemoveOptions options = {});

  Promise<PermissionState> queryPermission(optional FileSystemHandlePermissionDescriptor descriptor = {});
  Promise<PermissionState> requestPermission(optional FileSystemHandlePermissionDescriptor descriptor = {});
};

dictionary FileSystemCreateWritableOptions {
  boolean keepExistingData = false;
};

// Serializable as the File System Standard says; every handle Cross-Origin
// Storage hands out is a file handle, which is where serialization lives.
[Exposed=(Window,Worker), SecureContext, Serializable, Pref="dom_cross_origin_storage_enabled"]
interface FileSystemFileHandle : FileSystemHandle {
  Promise<File> getFile();
  Promise<FileSystemWritableFileStream> createWritable(optional FileSystemCreateWritableOptions options = {});
  // The standard resolves with a FileSystemSyncAccessHandle; COS files never
  // have one, so this always rejects with InvalidStateError.
  [Exposed=DedicatedWorker]
  Promise<undefined> createSyncAccessHandle();
};
