import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { AlarmSource, AlarmState } from '../domain/kernel/ports.js';

/** DescribeAlarms takes at most 100 names per call. */
const NAMES_PER_CALL = 100;

/**
 * Alarm states from CloudWatch (`cloudwatch:DescribeAlarms`), metric and composite alarms
 * alike, as SageMaker's deployment guardrails read them.
 */
export class CloudWatchAlarmSource implements AlarmSource {
  constructor(private readonly cloudwatch: CloudWatchClient) {}

  async states(names: readonly string[]): Promise<Map<string, AlarmState>> {
    const states = new Map<string, AlarmState>();
    for (let i = 0; i < names.length; i += NAMES_PER_CALL) {
      let nextToken: string | undefined;
      do {
        const page = await this.cloudwatch.send(
          new DescribeAlarmsCommand({
            AlarmNames: names.slice(i, i + NAMES_PER_CALL),
            AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
            NextToken: nextToken,
          }),
        );
        for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
          if (alarm.AlarmName && alarm.StateValue)
            states.set(alarm.AlarmName, alarm.StateValue as AlarmState);
        }
        nextToken = page.NextToken;
      } while (nextToken);
    }
    return states;
  }
}
