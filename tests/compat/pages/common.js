// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at https://mozilla.org/MPL/2.0/.

// What every compatibility page shares: its parameters, the probe of the web
// APIs the clients touch, our own look-up of a hash after the client ran, and
// the one "result: {...}" console line the runner reads (then the window
// closes). The pages drive each client through its public API only; nothing
// here stands in for a client's code.

export const params = new URLSearchParams(location.search);
export const hub = params.get("hub");
export const step = params.get("step");

const errors = [];
const describe = (e) => (e && e.name ? `${e.name}: ${e.message}` : String(e));
addEventListener("error", (e) => errors.push(`error: ${e.message}`));
addEventListener("unhandledrejection", (e) => errors.push(`unhandled rejection: ${describe(e.reason)}`));

// Each probe names one web API a client calls on its cross-origin storage
// path; the runner names the missing ones when a client cannot work.
export async function probes() {
  const p = {};
  const check = async (name, f) => {
    try {
      p[name] = Boolean(await f());
    } catch (e) {
      p[name] = false;
    }
  };
  await check("navigator.crossOriginStorage.getFileHandle",
              () => typeof navigator.crossOriginStorage?.getFileHandle === "function");
  await check("navigator.crossOriginStorage.requestFileHandle",
              () => typeof navigator.crossOriginStorage?.requestFileHandle === "function");
  await check("caches", () => typeof caches === "object" && typeof caches.open === "function");
  await check("Cache.prototype.match", () => typeof Cache === "function" && typeof Cache.prototype.match === "function");
  await check("Cache.prototype.put", () => typeof Cache === "function" && typeof Cache.prototype.put === "function");
  await check("ReadableStream async iteration",
              () => typeof ReadableStream.prototype[Symbol.asyncIterator] === "function");
  await check("navigator.storage", () => typeof navigator.storage === "object" && navigator.storage !== null);
  await check("navigator.storage.getDirectory (OPFS)",
              () => typeof navigator.storage?.getDirectory === "function");
  await check("navigator.gpu (WebGPU)", () => typeof navigator.gpu === "object" && navigator.gpu !== null);
  await check("crypto.subtle.digest", () => typeof crypto.subtle?.digest === "function");
  await check("TransformStream", () => typeof TransformStream === "function");
  await check("WebAssembly.instantiate", () => typeof WebAssembly?.instantiate === "function");
  await check("Worker", () => typeof Worker === "function");
  await check("shared WebAssembly.Memory",
              () => new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer);
  return p;
}

export const hex = (buffer) =>
  Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");

export async function sha256(data) {
  return hex(await crypto.subtle.digest("SHA-256", data));
}

// Our own check, after the client ran: is the file in Cross-Origin Storage
// for this origin, and are its bytes the ones the hub serves?
export async function lookUp(value) {
  const api = navigator.crossOriginStorage;
  if (!api) return { found: false, error: "no navigator.crossOriginStorage" };
  const get = api.getFileHandle ? api.getFileHandle.bind(api) : api.requestFileHandle.bind(api);
  try {
    const handle = await get({ algorithm: "SHA-256", value });
    const file = await handle.getFile();
    return { found: true, size: file.size, sha256: await sha256(await file.arrayBuffer()) };
  } catch (e) {
    return { found: false, error: e.name || String(e) };
  }
}

export async function manifest() {
  return (await fetch(`${hub}/manifest.json`)).json();
}

let reported = false;
export function report(result) {
  if (reported) return;
  reported = true;
  result.errors = errors;
  console.log("result: " + JSON.stringify(result));
  if (!params.has("stay")) window.close();
}

// Runs `body` (which returns the result object) with a deadline, so that a
// client that hangs still yields a result naming where it stopped.
export async function run(client, body, seconds = 150) {
  const result = { client, step, origin: location.origin, probes: await probes() };
  const deadline = setTimeout(() => {
    result.error = `timed out after ${seconds} s`;
    report(result);
  }, seconds * 1000);
  try {
    await body(result);
  } catch (e) {
    result.error = describe(e);
  }
  clearTimeout(deadline);
  report(result);
}
