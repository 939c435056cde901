// Helpers shared by the Cross-Origin Storage tests (window and worker).

const cosEncoder = new TextEncoder();

function cosHex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

// The {algorithm, value} hash of `data` (a string or a BufferSource).
async function cosHash(data, algorithm = "SHA-256") {
  const bytes = typeof data === "string" ? cosEncoder.encode(data) : data;
  return { algorithm, value: cosHex(await crypto.subtle.digest(algorithm, bytes)) };
}

// Bytes unique to this test run, so files never collide across tests.
function cosUniqueText(label) {
  return `${label} ${self.location.href} ${Date.now()} ${Math.random()}`;
}

// Stores `data` through a create handle; returns the handle.
async function cosStore(data, options = {}) {
  const hash = await cosHash(data);
  const handle = await navigator.crossOriginStorage.getFileHandle(hash, { create: true, ...options });
  const writable = await handle.createWritable();
  await writable.write(data);
  await writable.close();
  return handle;
}

// Windows only: loads `url` in an iframe (removed at the end of test `t`)
// and resolves with the first message the frame posts whose `id` is `id`.
// The iframe delegates the "cross-origin-storage" feature (its default
// allowlist is 'self') unless `allow` says otherwise.
function cosFrameMessage(t, url, id, allow = "cross-origin-storage") {
  const iframe = document.createElement("iframe");
  if (allow !== null) {
    iframe.allow = allow;
  }
  iframe.src = url;
  t.add_cleanup(() => iframe.remove());
  return new Promise((resolve) => {
    window.addEventListener("message", function listener(event) {
      if (event.data && event.data.id === id) {
        window.removeEventListener("message", listener);
        resolve(event.data);
      }
    });
    document.body.appendChild(iframe);
  });
}

// Windows only: stores `text` from a frame on `origin` (another site),
// listing this page's origin, which the frame's response authorizes with a
// Cross-Origin-Storage-Allow-Origin header. Resolves with the hash.
let cosStoreFrames = 0;
async function cosStoreFrom(t, origin, text) {
  const id = `store${++cosStoreFrames}`;
  const header = `header(Cross-Origin-Storage-Allow-Origin,${location.origin})`;
  const url = `${origin}/cross-origin-storage/resources/store-frame.html?id=${id}` +
      `&text=${encodeURIComponent(text)}&list=${encodeURIComponent(location.origin)}` +
      `&pipe=${encodeURIComponent(header)}`;
  const stored = await cosFrameMessage(t, url, id);
  assert_true(stored.ok, `${origin} stored the file: ${stored.name}`);
  return cosHash(text);
}

// Windows only: looks `hash` up from a frame on `origin`; resolves with
// {ok, text} or {ok: false, name}.
let cosReadFrames = 0;
function cosReadFrom(t, origin, hash) {
  const id = `read${++cosReadFrames}`;
  const url = `${origin}/cross-origin-storage/resources/read-frame.html?id=${id}&hash=${hash.value}`;
  return cosFrameMessage(t, url, id);
}
