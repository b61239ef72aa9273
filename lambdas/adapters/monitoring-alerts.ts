import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AlertPublisher, MonitoringAlert } from '../domain/model-monitor/ports.js';
import { putEvent } from './eventbridge-publisher.js';

/** The EventBridge event's source and detail-type; rules match on them. */
export const ALERT_SOURCE = 'understudy.monitoring';
export const ALERT_DETAIL_TYPE = 'Model Monitor Violations';

/**
 * Publishes a monitoring alert as an EventBridge event (source `understudy.monitoring`,
 * detail-type `Model Monitor Violations`, detail = the alert) on the default bus, and as an
 * SNS message (subject and a readable body, plus the alert as JSON) on the alerts topic.
 */
export class EventBridgeSnsAlerts implements AlertPublisher {
  constructor(
    private readonly deps: {
      readonly events: EventBridgeClient;
      readonly sns?: SNSClient;
      readonly topicArn?: string;
      /** @default 'default' */
      readonly eventBusName?: string;
    },
  ) {}

  async publish(alert: MonitoringAlert): Promise<void> {
    await putEvent(this.deps.events, this.deps.eventBusName ?? 'default', {
      source: ALERT_SOURCE,
      detailType: ALERT_DETAIL_TYPE,
      detail: alert,
      resources: [alert.monitoringScheduleArn],
    });
    if (this.deps.sns && this.deps.topicArn) {
      const features = alert.features.map((f) => `${f.feature} (${f.checks.join(', ')})`).join('; ');
      await this.deps.sns.send(
        new PublishCommand({
          TopicArn: this.deps.topicArn,
          Subject: `Model Monitor violations: ${alert.endpointName} / ${alert.monitoringScheduleName}`.slice(
            0,
            99,
          ),
          Message: [
            `Monitoring schedule ${alert.monitoringScheduleName} found ${alert.violationCount} violation(s) on endpoint ${alert.endpointName}`,
            `in the data from ${alert.dataAnalysisStartTime} to ${alert.dataAnalysisEndTime}.`,
            `Features: ${features}`,
            `Report: ${alert.reports.report}`,
            `Violations: ${alert.reports.constraintViolations}`,
            '',
            JSON.stringify(alert),
          ].join('\n'),
          MessageAttributes: {
            endpoint: { DataType: 'String', StringValue: alert.endpointName },
            schedule: { DataType: 'String', StringValue: alert.monitoringScheduleName },
          },
        }),
      );
    }
  }
}
