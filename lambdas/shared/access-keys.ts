import { AccessKeyStore } from '../adapters/access-key-store.js';
import { ENV } from '../functions.js';
import { requireEnv } from './config.js';
import { dataPlaneClients as clients, onFirstSend } from './data-plane-clients.js';

/** The access-key store every API function verifies signatures against, from the stack's settings. */
export function accessKeysFromEnv(): AccessKeyStore {
  return new AccessKeyStore({
    dynamo: clients.dynamo(),
    // KMS decrypts issued keys' secrets only: the admin key alone never loads it.
    kms: onFirstSend(() => clients.kms()),
    secrets: clients.secrets(),
    tableName: requireEnv(ENV.registryTable),
    kmsKeyId: requireEnv(ENV.keysKmsKeyId),
    adminSecretId: requireEnv(ENV.adminKeySecretId),
  });
}
