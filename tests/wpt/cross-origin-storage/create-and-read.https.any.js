// META: global=window,dedicatedworker,sharedworker
// META: script=resources/helpers.js
// META: title=Cross-Origin Storage: creating, verifying and reading files

const cos = () => navigator.crossOriginStorage;

promise_test(async (t) => {
  await promise_rejects_dom(t, "NotFoundError", cos().getFileHandle(await cosHash(cosUniqueText("absent"))));
}, "Reading an absent file is NotFoundError");

promise_test(async (t) => {
  const text = cosUniqueText("round trip");
  const hash = await cosHash(text);
  const handle = await cos().getFileHandle(hash, { create: true });
  assert_equals(handle.kind, "file");
  assert_equals(handle.name, hash.value);
  await promise_rejects_dom(t, "NotAllowedError", handle.getFile(), "a create handle reads nothing before its write");
  // Creating registers nothing.
  await promise_rejects_dom(t, "NotFoundError", cos().getFileHandle(hash));
  const writable = await handle.createWritable();
  assert_true(writable instanceof WritableStream);
  await writable.write(text);
  await promise_rejects_dom(t, "NotFoundError", cos().getFileHandle(hash), "not stored before close()");
  await writable.close();
  assert_equals(await (await handle.getFile()).text(), text);
  const read = await cos().getFileHandle(hash);
  assert_equals(await (await read.getFile()).text(), text);
  assert_true(await read.isSameEntry(handle));
}, "A verified write is stored and readable by its writer");

promise_test(async (t) => {
  const hash = await cosHash(cosUniqueText("the real bytes"));
  const handle = await cos().getFileHandle(hash, { create: true });
  const writable = await handle.createWritable();
  await writable.write("other bytes");
  await promise_rejects_dom(t, "DataError", writable.close());
  await promise_rejects_dom(t, "NotFoundError", cos().getFileHandle(hash));
  await promise_rejects_dom(t, "NotAllowedError", handle.getFile());
}, "Bytes that do not match the hash are a DataError and leave nothing");

promise_test(async () => {
  const final = cosUniqueText("final");
  const handle = await cos().getFileHandle(await cosHash(final), { create: true });
  const writable = await handle.createWritable();
  await writable.write(final + " and some more that will be cut");
  await writable.truncate(3);
  await writable.seek(3);
  await writable.write({ type: "write", data: final.slice(3) });
  await writable.write({ type: "write", position: 0, data: final.slice(0, 3) });
  await writable.close();
  assert_equals(await (await handle.getFile()).text(), final);
}, "The hash is checked over the final contents, after seeks and truncates");

promise_test(async (t) => {
  const text = cosUniqueText("kept");
  const stored = await cosStore(text);
  const again = await cos().getFileHandle(await cosHash(text), { create: true });
  const writable = await again.createWritable({ keepExistingData: true });
  await promise_rejects_dom(t, "DataError", writable.close(), "the stream started empty");
}, "keepExistingData still starts empty");

promise_test(async () => {
  const text = cosUniqueText("piped");
  const handle = await cos().getFileHandle(await cosHash(text), { create: true });
  const source = new ReadableStream({
    start(controller) {
      const bytes = cosEncoder.encode(text);
      controller.enqueue(bytes.slice(0, 5));
      controller.enqueue(bytes.slice(5));
      controller.close();
    },
  });
  await source.pipeTo(await handle.createWritable());
  assert_equals(await (await handle.getFile()).text(), text);
}, "pipeTo() into the writable stores the file");

promise_test(async (t) => {
  const text = cosUniqueText("abandoned");
  const hash = await cosHash(text);
  const handle = await cos().getFileHandle(hash, { create: true });
  const writable = await handle.createWritable();
  await writable.write(text);
  await writable.abort();
  await promise_rejects_dom(t, "NotFoundError", cos().getFileHandle(hash));
}, "An aborted write leaves no trace");

promise_test(async () => {
  const text = cosUniqueText("twice");
  const hash = await cosHash(text);
  const first = await cos().getFileHandle(hash, { create: true });
  const second = await cos().getFileHandle(hash, { create: true });
  const a = await first.createWritable();
  const b = await second.createWritable();
  await a.write(text.slice(0, 4));
  await b.write(text);
  await a.write(text.slice(4));
  await Promise.all([a.close(), b.close()]);
  assert_equals(await (await first.getFile()).text(), text);
  assert_equals(await (await second.getFile()).text(), text);
}, "Two concurrent writers of one hash both succeed");

promise_test(async (t) => {
  const text = cosUniqueText("liar");
  const hash = await cosHash(text);
  const honest = await (await cos().getFileHandle(hash, { create: true })).createWritable();
  const liar = await (await cos().getFileHandle(hash, { create: true })).createWritable();
  await honest.write(text);
  await liar.write("not the bytes");
  await promise_rejects_dom(t, "DataError", liar.close());
  await honest.close();
  assert_equals(await (await (await cos().getFileHandle(hash)).getFile()).text(), text);
}, "A failing writer does not disturb a concurrent one");
