// META: global=window,dedicatedworker,sharedworker
// META: script=resources/helpers.js
// META: title=Cross-Origin Storage: hash and options validation

const cos = () => navigator.crossOriginStorage;
const goodValue = "a".repeat(64);

for (const [label, hash] of [
  ["an unknown algorithm", { algorithm: "MD5", value: "a".repeat(32) }],
  ["an algorithm name with a missing dash", { algorithm: "SHA256", value: goodValue }],
  ["a value one digit short", { algorithm: "SHA-256", value: "a".repeat(63) }],
  ["a value one digit long", { algorithm: "SHA-256", value: "a".repeat(65) }],
  ["uppercase hex", { algorithm: "SHA-256", value: "A".repeat(64) }],
  ["non-hex characters", { algorithm: "SHA-256", value: "g".repeat(64) }],
  ["an empty value", { algorithm: "SHA-256", value: "" }],
  ["a SHA-256-length value for SHA-512", { algorithm: "SHA-512", value: goodValue }],
]) {
  promise_test(async (t) => {
    await promise_rejects_js(t, TypeError, cos().getFileHandle(hash));
    await promise_rejects_js(t, TypeError, cos().getFileHandle(hash, { create: true }));
    await promise_rejects_js(t, TypeError, cos().requestFileHandle(hash));
  }, `TypeError for ${label}`);
}

promise_test(async (t) => {
  await promise_rejects_js(t, TypeError, cos().getFileHandle({ value: goodValue }));
  await promise_rejects_js(t, TypeError, cos().getFileHandle({ algorithm: "SHA-256" }));
}, "TypeError when a required member is missing");

for (const [algorithm, length] of [["sha-256", 64], ["Sha-384", 96], ["SHA-512", 128]]) {
  promise_test(async () => {
    const handle = await cos().getFileHandle({ algorithm, value: "b".repeat(length) }, { create: true });
    assert_equals(handle.name, "b".repeat(length));
  }, `${algorithm} is accepted, its name compared ASCII-case-insensitively`);
}

promise_test(async (t) => {
  // The spec accepts any hash algorithm WebCrypto recognises; SHA-1's value
  // is 40 lowercase hex digits, like the others' it is checked against the
  // digest length.
  for (const algorithm of ["SHA-1", "sha-1"]) {
    const handle = await cos().getFileHandle({ algorithm, value: "c".repeat(40) }, { create: true });
    assert_equals(handle.name, "c".repeat(40));
  }
  for (const value of ["c".repeat(39), "C".repeat(40)]) {
    await promise_rejects_js(t, TypeError, cos().getFileHandle({ algorithm: "SHA-1", value }, { create: true }));
    await promise_rejects_js(t, TypeError, cos().getFileHandle({ algorithm: "SHA-1", value }));
  }
}, "SHA-1 is accepted with 40 lowercase hex digits; 39 digits or uppercase are a TypeError");

promise_test(async (t) => {
  const hash = { algorithm: "SHA-256", value: goodValue };
  const tooMany = Array.from({ length: 101 }, (_, i) => `https://s${i}.example`);
  await promise_rejects_js(t, TypeError, cos().getFileHandle(hash, { create: true, origins: tooMany }));
  await promise_rejects_js(t, TypeError, cos().getFileHandle(hash, { create: true, origins: ["data:,x"] }));
  await promise_rejects_js(t, TypeError, cos().getFileHandle(hash, { create: true, origins: ["*"] }));
  await promise_rejects_js(t, TypeError, cos().getFileHandle(hash, { create: true, origins: "not a url" }));
  await cos().getFileHandle(hash, { create: true, origins: tooMany.slice(0, 100) });
  await cos().getFileHandle(hash, { create: true, origins: "*" });
  await cos().getFileHandle(hash, { create: true, origins: [] });
}, "origins: at most 100 parseable, non-opaque origins; '*' only as a string");
