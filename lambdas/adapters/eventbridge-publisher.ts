import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Log } from '../domain/kernel/log.js';
import type { EventPublisher, PlatformEvent } from '../domain/kernel/ports.js';

/** Puts one event on a bus; throws when EventBridge refuses it (PutEvents answers 200 even then). */
export async function putEvent(
  client: EventBridgeClient,
  eventBusName: string,
  event: PlatformEvent,
): Promise<void> {
  const result = await client.send(
    new PutEventsCommand({
      Entries: [
        {
          Source: event.source,
          DetailType: event.detailType,
          Detail: JSON.stringify(event.detail),
          Resources: [...event.resources],
          EventBusName: eventBusName,
        },
      ],
    }),
  );
  if ((result.FailedEntryCount ?? 0) > 0) {
    const entry = result.Entries?.find((e) => e.ErrorCode);
    throw new Error(`EventBridge refused the event: ${entry?.ErrorCode} ${entry?.ErrorMessage}`);
  }
}

/**
 * EventPublisher over EventBridge's default bus. A change is already stored when its event is
 * published, so a failure is logged with the event's resources rather than failing the call.
 */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly deps: {
      readonly events: EventBridgeClient;
      readonly log: Log;
      /** @default 'default' */
      readonly eventBusName?: string;
    },
  ) {}

  async publish(event: PlatformEvent): Promise<void> {
    try {
      await putEvent(this.deps.events, this.deps.eventBusName ?? 'default', event);
    } catch (error) {
      this.deps.log.error('event not published', {
        source: event.source,
        detailType: event.detailType,
        resources: event.resources,
        error: (error as Error).message,
      });
    }
  }
}
