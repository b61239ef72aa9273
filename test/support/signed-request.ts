import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * A POST to the platform at `url` signed with the SDK's own SigV4 signer (service `sagemaker`),
 * as a client would send it: for calls the SDKs have no command for (Understudy's operations,
 * fields the SDK drops) and for load generators that replay one signed request.
 */
export async function signedPost(
  url: URL,
  request: {
    readonly region: string;
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
    readonly path: string;
    readonly headers: Record<string, string>;
    readonly body: string;
  },
): Promise<HttpRequest> {
  const signer = new SignatureV4({
    service: 'sagemaker',
    region: request.region,
    credentials: request.credentials,
    sha256: Hash.bind(null, 'sha256'),
  });
  return (await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: request.path,
      headers: { host: url.host, ...request.headers },
      body: request.body,
    }),
  )) as HttpRequest;
}

/** The JSON 1.1 headers of a call by its full target (`Understudy.X`, `SageMaker.X`). */
export function jsonTargetHeaders(target: string): Record<string, string> {
  return { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target };
}
