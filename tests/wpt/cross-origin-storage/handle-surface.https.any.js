// META: global=window,dedicatedworker,sharedworker
// META: script=resources/helpers.js
// META: title=Cross-Origin Storage: what a handle can and cannot do

promise_test(async (t) => {
  const handle = await cosStore(cosUniqueText("surface"));
  await promise_rejects_dom(t, "NotAllowedError", handle.move("renamed"));
  await promise_rejects_dom(t, "NotAllowedError", handle.remove());
  assert_equals(await handle.queryPermission(), "granted");
  assert_equals(await handle.queryPermission({ mode: "readwrite" }), "granted");
  assert_equals(await handle.requestPermission(), "granted");
}, "move() and remove() are refused; a create handle is granted read and write");

promise_test(async (t) => {
  const stored = await cosStore(cosUniqueText("read-only"));
  const handle = await navigator.crossOriginStorage.getFileHandle(
      { algorithm: "SHA-256", value: stored.name });
  assert_equals(await handle.queryPermission({ mode: "read" }), "granted");
  assert_equals(await handle.requestPermission({ mode: "read" }), "granted");
  assert_equals(await handle.queryPermission({ mode: "readwrite" }), "denied");
  assert_equals(await handle.requestPermission({ mode: "readwrite" }), "denied");
  await promise_rejects_dom(t, "NotAllowedError", handle.createWritable());
}, "a read request's handle is granted read, denied write, and cannot be written through");

promise_test(async () => {
  const a = await cosStore(cosUniqueText("a"));
  const b = await cosStore(cosUniqueText("b"));
  const again = await navigator.crossOriginStorage.getFileHandle({ algorithm: "SHA-256", value: a.name });
  assert_true(await a.isSameEntry(again));
  assert_false(await a.isSameEntry(b));
}, "isSameEntry() compares the hash");

// createSyncAccessHandle() exists in dedicated workers only (File System Standard).
if (self.DedicatedWorkerGlobalScope) {
  promise_test(async (t) => {
    const handle = await cosStore(cosUniqueText("sync"));
    await promise_rejects_dom(t, "InvalidStateError", handle.createSyncAccessHandle());
  }, "createSyncAccessHandle() is InvalidStateError");
}
