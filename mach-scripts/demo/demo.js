/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

// The same page runs on two sites. Each first asks Cross-Origin Storage for
// the model by hash; only if that fails does it download the model (with a
// progress bar) and store it, listing the other site so it can reuse it.
const $ = (id) => document.getElementById(id);
const log = (line) => {
  $("log").textContent += line + "\n";
  console.log(line);
};
const mib = (n) => (n / 1048576).toFixed(1) + " MiB";

async function download(url, size) {
  const response = await fetch(url);
  const reader = response.body.getReader();
  const buffer = new Uint8Array(size);
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer.set(value, received);
    received += value.length;
    $("progress").value = received / size;
    $("status").textContent = `Downloading: ${mib(received)} of ${mib(size)}`;
  }
  return buffer;
}

async function main() {
  $("me").textContent = location.origin;
  const manifest = await (await fetch("model.json")).json();
  $("size").textContent = mib(manifest.size);
  const hash = { algorithm: "SHA-256", value: manifest.sha256 };
  const other = manifest.sites.find((site) => site !== location.origin);
  $("next").innerHTML = `Now open <a href="${other}/">${other}</a>, a different site.`;
  const cos = navigator.crossOriginStorage;
  if (!cos) {
    $("status").textContent = "This browser has no navigator.crossOriginStorage.";
    log("demo: no crossOriginStorage");
    return;
  }
  try {
    const handle = await cos.getFileHandle(hash);
    const file = await handle.getFile();
    $("progress").value = 1;
    $("status").textContent =
      `Reused ${mib(file.size)} from Cross-Origin Storage: 0 bytes downloaded, ${mib(file.size)} saved.`;
    log(`demo: reused ${file.size} bytes on ${location.origin}, downloaded 0`);
    return;
  } catch (e) {
    log(`demo: not in Cross-Origin Storage here (${e.name}); downloading`);
  }
  const bytes = await download(manifest.url, manifest.size);
  const handle = await cos.getFileHandle(hash, { create: true, origins: manifest.sites });
  const writable = await handle.createWritable();
  $("status").textContent = "Storing in Cross-Origin Storage…";
  const chunk = 1 << 20;
  for (let at = 0; at < bytes.length; at += chunk) {
    await writable.write(bytes.subarray(at, at + chunk));
    $("progress").value = Math.min(1, (at + chunk) / bytes.length);
  }
  await writable.close();
  $("status").textContent = `Downloaded ${mib(bytes.length)} and stored it for ${other} too.`;
  log(`demo: downloaded and stored ${bytes.length} bytes on ${location.origin}`);
}

main().catch((e) => {
  $("status").textContent = `Failed: ${e.name}: ${e.message}`;
  log(`demo: failed: ${e.name}: ${e.message}`);
}).finally(() => {
  if (new URLSearchParams(location.search).has("close")) window.close();
});
