import type { EventBridgeEvent } from 'aws-lambda';

/**
 * Runs on the stack's EventBridge schedule. Monitoring schedules and drift checks are not
 * built yet (see the Model Monitor issue): it logs the tick and reports that nothing ran.
 */
export const handler = async (event: EventBridgeEvent<'Scheduled Event', unknown>) => {
  console.log(
    JSON.stringify({
      level: 'info',
      msg: 'monitor tick: no monitoring schedules are implemented yet',
      time: event.time,
    }),
  );
  return { schedulesRun: 0 };
};
