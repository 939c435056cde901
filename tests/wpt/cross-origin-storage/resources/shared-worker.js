// A shared worker that does what a connected document asks on its port:
// {op: "store", text, options} stores text; {op: "read", hash} reads a file;
// {op: "probe"} says whether the API is exposed. Answers {ok, ...} or
// {ok: false, name}.
importScripts("helpers.js");

onconnect = (event) => {
  const port = event.ports[0];
  port.onmessage = async ({ data }) => {
    try {
      if (data.op === "store") {
        await cosStore(data.text, data.options || {});
        port.postMessage({ ok: true });
      } else if (data.op === "read") {
        const handle = await navigator.crossOriginStorage.getFileHandle(data.hash);
        port.postMessage({ ok: true, text: await (await handle.getFile()).text() });
      } else {
        port.postMessage({ ok: true, exposed: "crossOriginStorage" in navigator });
      }
    } catch (e) {
      port.postMessage({ ok: false, name: e.name });
    }
  };
};
