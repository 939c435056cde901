importScripts("handle-receiver.js");
onmessage = async (event) => postMessage(await cosReceiveHandle(event.data));
onmessageerror = () => postMessage({ event: "messageerror" });
