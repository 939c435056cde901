// Receives {handle, write?} in a dedicated worker or a frame and answers
// what it could do with the handle: {event, read, text | error, wrote}.
// `reply` posts the answer back to whoever sent the handle.
async function cosReceiveHandle(data) {
  const answer = { event: "message", isHandle: data.handle instanceof FileSystemFileHandle };
  try {
    answer.text = await (await data.handle.getFile()).text();
    answer.read = "ok";
  } catch (e) {
    answer.read = e.name;
  }
  answer.readwrite = await data.handle.queryPermission({ mode: "readwrite" });
  if (data.write !== undefined) {
    try {
      const writable = await data.handle.createWritable();
      await writable.write(data.write);
      await writable.close();
      answer.wrote = "ok";
    } catch (e) {
      answer.wrote = e.name;
    }
  }
  return answer;
}
