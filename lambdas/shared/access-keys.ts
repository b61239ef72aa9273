import { AccessKeyStore } from '../adapters/access-key-store.js';
import { ENV } from '../functions.js';
import { requireEnv } from './config.js';
import { dataPlaneClients as clients } from './data-plane-clients.js';

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
