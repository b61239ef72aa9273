import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';

/** A .tar.gz of the given files (tar-stream, the library the artifact loader reads them with). */
export async function tarGz(files: readonly { name: string; body: Uint8Array }[]): Promise<Uint8Array> {
  const tar = pack();
  for (const file of files)
    tar.entry({ name: file.name, size: file.body.byteLength }, Buffer.from(file.body));
  tar.finalize();
  const chunks: Buffer[] = [];
  const gzip = tar.pipe(createGzip());
  for await (const chunk of gzip) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
