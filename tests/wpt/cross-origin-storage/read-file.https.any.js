// META: global=window,dedicatedworker,sharedworker
// META: script=resources/helpers.js
// META: title=Cross-Origin Storage: the File getFile() returns, read every way a File is read
// META: timeout=long

// The file is larger than one piece the browser reads from the store at a
// time (8 MiB here), so every way of reading it crosses a piece boundary.
const SIZE = (8 << 20) + 4099;
const BOUNDARY = 8 << 20;

function patternBytes(salt) {
  const bytes = new Uint8Array(SIZE);
  for (let i = 0; i < SIZE; i++) {
    bytes[i] = (i * 31 + (i >> 13) + salt) & 255;
  }
  return bytes;
}

function assert_bytes_equal(actual, expected, what) {
  assert_equals(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      assert_unreached(`${what}: byte ${i} is ${actual[i]}, not ${expected[i]}`);
    }
  }
}

// One stored file shared by the tests below (stored once: 8 MiB of writes).
let stored;
function storedFile() {
  stored ??= (async () => {
    const bytes = patternBytes(Math.floor(Math.random() * 256));
    const hash = await cosHash(bytes);
    const handle = await navigator.crossOriginStorage.getFileHandle(hash, { create: true });
    const writable = await handle.createWritable();
    await writable.write(bytes);
    await writable.close();
    return { bytes, hash };
  })();
  return stored;
}

async function getFile() {
  const { bytes, hash } = await storedFile();
  const handle = await navigator.crossOriginStorage.getFileHandle(hash);
  return { bytes, hash, file: await handle.getFile() };
}

promise_test(async () => {
  const { hash, file } = await getFile();
  assert_true(file instanceof File);
  assert_equals(file.size, SIZE);
  assert_equals(file.name, hash.value);
  assert_equals(file.type, "");
}, "getFile() gives a File of the entry's size, named by its hash");

promise_test(async () => {
  const { bytes, file } = await getFile();
  assert_bytes_equal(new Uint8Array(await file.arrayBuffer()), bytes, "arrayBuffer()");
  assert_bytes_equal(await file.bytes(), bytes, "bytes()");
}, "arrayBuffer() and bytes() give every byte");

promise_test(async () => {
  const { bytes, file } = await getFile();
  const reader = file.stream().getReader();
  const chunks = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      break;
    }
    chunks.push(value);
  }
  assert_greater_than(chunks.length, 1, "the file arrives in more than one chunk");
  const joined = new Uint8Array(SIZE);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  assert_bytes_equal(joined, bytes, "stream()");
}, "stream() gives every byte, in several chunks");

promise_test(async () => {
  const { bytes, file } = await getFile();
  const reader = file.stream().getReader({ mode: "byob" });
  const { value, done } = await reader.read(new Uint8Array(1000));
  assert_false(done);
  assert_bytes_equal(value, bytes.subarray(0, value.length), "a BYOB read");
  reader.releaseLock();
}, "A BYOB reader reads the start of the file");

promise_test(async () => {
  const { bytes, file } = await getFile();
  const stream = file.stream();
  const reader = stream.getReader();
  const first = await reader.read();
  assert_false(first.done);
  await reader.cancel();
  // The File is unchanged by a cancelled stream: a new one reads it all.
  assert_bytes_equal(new Uint8Array(await file.arrayBuffer()), bytes, "after a cancel");
}, "Cancelling a stream of the file leaves the file readable");

promise_test(async () => {
  const { bytes, file } = await getFile();
  const across = file.slice(BOUNDARY - 10, BOUNDARY + 20, "application/octet-stream");
  assert_equals(across.size, 30);
  assert_equals(across.type, "application/octet-stream");
  assert_bytes_equal(new Uint8Array(await across.arrayBuffer()), bytes.subarray(BOUNDARY - 10, BOUNDARY + 20),
                     "a slice across the piece boundary");
  const tail = file.slice(-99);
  assert_bytes_equal(new Uint8Array(await tail.arrayBuffer()), bytes.subarray(SIZE - 99), "the last 99 bytes");
  assert_equals(await file.slice(5, 5).size, 0);
}, "A slice reads exactly its range");

promise_test(async () => {
  const text = cosUniqueText("read as text");
  await cosStore(text);
  const file = await (await navigator.crossOriginStorage.getFileHandle(await cosHash(text))).getFile();
  assert_equals(await file.text(), text);
  assert_equals(await new Response(file).text(), text, "as a Response body");
}, "text() and a Response made from the file give the text");

promise_test(async () => {
  const { bytes, file } = await getFile();
  const url = URL.createObjectURL(file);
  try {
    const fetched = new Uint8Array(await (await fetch(url)).arrayBuffer());
    assert_bytes_equal(fetched, bytes, "fetch() of a blob URL");
  } finally {
    URL.revokeObjectURL(url);
  }
}, "A blob URL of the file serves every byte");

promise_test(async () => {
  const { bytes, file } = await getFile();
  const read = await new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsArrayBuffer(file.slice(BOUNDARY - 1000));
  });
  assert_bytes_equal(read, bytes.subarray(BOUNDARY - 1000), "FileReader");
}, "FileReader reads the file");

promise_test(async () => {
  const empty = new Uint8Array(0);
  const hash = await cosHash(empty);
  const handle = await navigator.crossOriginStorage.getFileHandle(hash, { create: true });
  const writable = await handle.createWritable();
  await writable.close();
  const file = await (await navigator.crossOriginStorage.getFileHandle(hash)).getFile();
  assert_equals(file.size, 0);
  assert_equals((await file.arrayBuffer()).byteLength, 0);
  const { done } = await file.stream().getReader().read();
  assert_true(done, "an empty file's stream ends at once");
}, "An empty file reads as empty");

if (!self.WorkerGlobalScope) {
  promise_test(async (t) => {
    const { bytes, file } = await getFile();
    const worker = new Worker("resources/file-reader-worker.js");
    t.add_cleanup(() => worker.terminate());
    const answer = await new Promise((resolve) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.postMessage(file);
    });
    let sum = 0;
    for (const b of bytes) sum = (sum + b) % 65521;
    assert_equals(answer.name, file.name);
    assert_equals(answer.size, SIZE);
    assert_equals(answer.sum, sum, "the worker read the same bytes");
  }, "A File posted to a worker reads there");
}
