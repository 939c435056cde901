// META: global=window,dedicatedworker,sharedworker
// META: title=Cross-Origin Storage: interface shape

test(() => {
  assert_true("crossOriginStorage" in navigator, "navigator.crossOriginStorage exists");
  const cos = navigator.crossOriginStorage;
  assert_true(cos instanceof CrossOriginStorageManager);
  assert_equals(navigator.crossOriginStorage, cos, "[SameObject]");
  for (const method of ["getFileHandle", "requestFileHandle", "requestFileHandles"]) {
    assert_equals(typeof cos[method], "function", method);
  }
  assert_equals(cos.getFileHandle.length, 1);
  assert_equals(cos.requestFileHandle.length, 1);
}, "navigator.crossOriginStorage is a CrossOriginStorageManager");

test(() => {
  assert_throws_js(TypeError, () => new CrossOriginStorageManager());
  assert_throws_js(TypeError, () => new FileSystemFileHandle());
  assert_throws_js(TypeError, () => new FileSystemWritableFileStream());
}, "The interfaces have no constructors");

test(() => {
  assert_equals(Object.getPrototypeOf(FileSystemFileHandle.prototype), FileSystemHandle.prototype);
  assert_equals(Object.getPrototypeOf(FileSystemWritableFileStream.prototype), WritableStream.prototype);
  for (const name of ["isSameEntry", "move", "remove", "queryPermission", "requestPermission"]) {
    assert_equals(typeof FileSystemHandle.prototype[name], "function", name);
  }
  for (const name of ["getFile", "createWritable"]) {
    assert_equals(typeof FileSystemFileHandle.prototype[name], "function", name);
  }
  for (const name of ["write", "seek", "truncate"]) {
    assert_equals(typeof FileSystemWritableFileStream.prototype[name], "function", name);
  }
}, "File System handle and stream interfaces, with FileSystemWritableFileStream a WritableStream");
