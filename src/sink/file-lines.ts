import type { FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

/** Bytes read at a time: a typical account file in one read, a huge one in bounded pieces. */
const CHUNK_BYTES = 64 * 1024;

/**
 * The lines of an open file, without their `\n` (a last line without one included, an empty file gives
 * none). Chunked reads split in place: `FileHandle.readLines` builds a stream and a readline interface
 * per file, which cost more than the parsing when a run is a thousand small files.
 */
export async function* fileLines(handle: FileHandle, chunkBytes = CHUNK_BYTES): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  const buffer = Buffer.allocUnsafe(chunkBytes);
  let rest = '';
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, chunkBytes, null);
    if (bytesRead === 0) break;
    const text = rest + decoder.write(buffer.subarray(0, bytesRead));
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      yield text.slice(start, end);
      start = end + 1;
    }
    rest = text.slice(start);
  }
  rest += decoder.end();
  if (rest) yield rest;
}
