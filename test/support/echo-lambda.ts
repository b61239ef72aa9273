/**
 * A Lambda proxy handler for the local runtime's tests: answers with what API Gateway handed
 * it (body, its encoding, a few headers) and two cookies.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export async function handler(event: APIGatewayProxyEventV2) {
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json' },
    cookies: ['a=1', 'b=2'],
    body: JSON.stringify({
      body: event.body ?? null,
      isBase64Encoded: event.isBase64Encoded,
      contentType: event.headers['content-type'] ?? null,
      requestId: event.requestContext.requestId,
      pathParameters: event.pathParameters ?? null,
    }),
  };
}
