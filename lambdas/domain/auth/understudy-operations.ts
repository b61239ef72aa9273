import { z } from 'zod';
import { type ControlContext, epochSeconds, page } from '../kernel/context.js';
import { ResourceNotFound, ValidationException } from '../kernel/errors.js';
import { EndpointName } from '../kernel/names.js';
import type { AccessKeyAdmin, AccessKeySummary } from '../kernel/ports.js';
import type { UnderstudyOperation } from '../kernel/understudy-operation.js';
import { ROLES } from './identity.js';

const createAccessKey = z
  .strictObject({
    Role: z.enum(ROLES),
    EndpointNames: z.array(EndpointName).min(1).max(100).optional(),
    Description: z.string().max(1024).optional(),
  })
  .refine((input) => input.EndpointNames === undefined || input.Role === 'invoker', {
    message: 'EndpointNames limits invoker keys only: the other roles are not scoped to endpoints',
  });

const listAccessKeys = z.strictObject({
  SortOrder: z.enum(['Ascending', 'Descending']).optional(),
  MaxResults: z.int().min(1).max(100).optional(),
  NextToken: z.string().max(8192).optional(),
});

/** SageMaker's access-key-like id shape: letters and digits. */
const deleteAccessKey = z.strictObject({ AccessKeyId: z.string().regex(/^[A-Z0-9]{16,128}$/) });

/** How a key is shown: never with its secret, which only CreateAccessKey's answer carries. */
function describeKey(key: AccessKeySummary) {
  return {
    AccessKeyId: key.accessKeyId,
    Role: key.role,
    ...(key.endpointNames === undefined ? {} : { EndpointNames: [...key.endpointNames] }),
    ...(key.description === undefined ? {} : { Description: key.description }),
    CreationTime: epochSeconds(new Date(key.createdAt)),
  };
}

function keysOf(ctx: ControlContext): AccessKeyAdmin {
  if (!ctx.accessKeys) throw new ValidationException('This deployment cannot manage access keys.');
  return ctx.accessKeys;
}

/**
 * Understudy's access-key operations (`X-Amz-Target: Understudy.<Operation>`), admin only:
 * - `CreateAccessKey {Role, EndpointNames?, Description?}`: a new key and its secret, shown
 *   this once. `EndpointNames` limits an invoker key to those endpoints; an invoker key
 *   without them may invoke every endpoint (and still nothing else);
 * - `ListAccessKeys {SortOrder?, MaxResults?, NextToken?}`: issued keys, newest first, without secrets;
 * - `DeleteAccessKey {AccessKeyId}`: the key stops working within seconds on every instance.
 * The deployment's bootstrap admin key is not listed and cannot be deleted here: it is
 * rotated in Secrets Manager.
 */
export const ACCESS_KEY_OPERATIONS = {
  CreateAccessKey: {
    input: createAccessKey,
    run: async (ctx, input) => {
      const endpointNames = input.EndpointNames && [...new Set(input.EndpointNames)];
      const issued = await keysOf(ctx).issue({
        role: input.Role,
        ...(endpointNames === undefined ? {} : { endpointNames }),
        ...(input.Description === undefined ? {} : { description: input.Description }),
      });
      const { AccessKeyId, ...rest } = describeKey(issued);
      return { AccessKeyId, SecretAccessKey: issued.secretAccessKey, ...rest };
    },
  } satisfies UnderstudyOperation<typeof createAccessKey>,
  ListAccessKeys: {
    input: listAccessKeys,
    run: async (ctx, input) => {
      const keys = (await keysOf(ctx).list()).map(describeKey);
      const { items, NextToken } = page(keys, input, (key) => key.AccessKeyId);
      return NextToken === undefined ? { AccessKeys: items } : { AccessKeys: items, NextToken };
    },
  } satisfies UnderstudyOperation<typeof listAccessKeys>,
  DeleteAccessKey: {
    input: deleteAccessKey,
    run: async (ctx, input) => {
      const outcome = await keysOf(ctx).delete(input.AccessKeyId);
      if (outcome === 'not-found')
        throw new ResourceNotFound(`Access key ${input.AccessKeyId} does not exist.`);
      if (outcome === 'bootstrap') {
        throw new ValidationException(
          `Access key ${input.AccessKeyId} is the deployment's admin key: rotate it in Secrets Manager instead.`,
        );
      }
      return {};
    },
  } satisfies UnderstudyOperation<typeof deleteAccessKey>,
};
