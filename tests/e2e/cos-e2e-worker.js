/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

// Reads the page's test file through navigator.crossOriginStorage in a
// dedicated worker, and stores a second file from here.
onmessage = async (event) => {
  const result = { exposed: "crossOriginStorage" in navigator };
  const bytes = new TextEncoder().encode(event.data.text);
  const hex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
  try {
    const hash = { algorithm: "SHA-256", value: hex(await crypto.subtle.digest("SHA-256", bytes)) };
    const handle = await navigator.crossOriginStorage.getFileHandle(hash);
    result.contents_match = (await (await handle.getFile()).text()) === event.data.text;
    const own = new TextEncoder().encode("stored from a worker");
    const ownHash = { algorithm: "SHA-256", value: hex(await crypto.subtle.digest("SHA-256", own)) };
    const created = await navigator.crossOriginStorage.getFileHandle(ownHash, { create: true });
    const writable = await created.createWritable();
    await writable.write(own);
    await writable.close();
    result.stored = (await (await created.getFile()).text()) === "stored from a worker";
  } catch (e) {
    result.error = (e && e.name) || String(e);
  }
  postMessage(result);
};
