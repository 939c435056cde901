// META: global=window,dedicatedworker,sharedworker
// META: script=resources/helpers.js
// META: title=Cross-Origin Storage: the deprecated requestFileHandles()

promise_test(async (t) => {
  const texts = [cosUniqueText("one"), cosUniqueText("two")];
  const hashes = await Promise.all(texts.map((text) => cosHash(text)));
  const created = await navigator.crossOriginStorage.requestFileHandles(hashes, { create: true });
  assert_true(Array.isArray(created));
  assert_equals(created.length, 2);
  for (const [i, handle] of created.entries()) {
    assert_equals(handle.name, hashes[i].value);
    const writable = await handle.createWritable();
    await writable.write(texts[i]);
    await writable.close();
  }
  const read = await navigator.crossOriginStorage.requestFileHandles(hashes);
  assert_equals(await (await read[1].getFile()).text(), texts[1]);
  const absent = await cosHash(cosUniqueText("absent"));
  await promise_rejects_dom(t, "NotFoundError", navigator.crossOriginStorage.requestFileHandles([hashes[0], absent]));
  await promise_rejects_js(t, TypeError, navigator.crossOriginStorage.requestFileHandles([{ algorithm: "MD5", value: "a".repeat(32) }]));
  assert_array_equals(await navigator.crossOriginStorage.requestFileHandles([]), []);
}, "requestFileHandles() applies the same rules per hash and resolves to an array");
