// A dedicated worker that stores what its owner posts ({text, options}) and
// answers {ok} or {ok: false, name}.
importScripts("helpers.js");

onmessage = async (event) => {
  try {
    await cosStore(event.data.text, event.data.options);
    postMessage({ ok: true });
  } catch (e) {
    postMessage({ ok: false, name: e.name });
  }
};
