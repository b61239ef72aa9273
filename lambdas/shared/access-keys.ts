import { AccessKeyStore } from '../adapters/access-key-store.js';
import { ENV } from '../functions.js';
import { clients } from './clients.js';
import { requireEnv } from './config.js';

/** The access-key store every API function verifies signatures against, from the stack's settings. */
export function accessKeysFromEnv(): AccessKeyStore {
  return new AccessKeyStore({
    dynamo: clients.dynamo(),
    kms: clients.kms(),
    secrets: clients.secrets(),
    tableName: requireEnv(ENV.registryTable),
    kmsKeyId: requireEnv(ENV.keysKmsKeyId),
    adminSecretId: requireEnv(ENV.adminKeySecretId),
  });
}
