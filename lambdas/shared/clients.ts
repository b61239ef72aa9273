import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { CLIENT_TIMEOUTS_MS, dataPlaneClients, timeouts } from './data-plane-clients.js';

export { mirrorClientConfig, mirrorSqsClient } from './data-plane-clients.js';

let cloudwatch: CloudWatchClient | undefined;
let events: EventBridgeClient | undefined;
let sns: SNSClient | undefined;

/**
 * Every SDK client of the functions, one per service per process, created on first use (the
 * data plane's from data-plane-clients.ts, the same instances). Endpoints, region and
 * credentials come only from the standard environment (AWS_ENDPOINT_URL*, AWS_REGION, ...).
 */
export const clients = {
  ...dataPlaneClients,
  cloudwatch(): CloudWatchClient {
    cloudwatch ??= new CloudWatchClient({ requestHandler: timeouts(CLIENT_TIMEOUTS_MS.cloudwatch) });
    return cloudwatch;
  },
  events(): EventBridgeClient {
    events ??= new EventBridgeClient({ requestHandler: timeouts(CLIENT_TIMEOUTS_MS.events) });
    return events;
  },
  sns(): SNSClient {
    sns ??= new SNSClient({ requestHandler: timeouts(CLIENT_TIMEOUTS_MS.sns) });
    return sns;
  },
};
