// Receives a File and answers with its name, size and a checksum of its bytes.
onmessage = async (event) => {
  const file = event.data;
  const read = new Uint8Array(await file.arrayBuffer());
  let sum = 0;
  for (const b of read) {
    sum = (sum + b) % 65521;
  }
  postMessage({ name: file.name, size: file.size, sum });
};
