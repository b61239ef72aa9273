"""moto_server whose KMS keys come back the same after a restart.

moto gives every KMS key a random id and random key material, so ciphertexts saved from one
run (the access keys the control plane stores encrypted in the registry) cannot be decrypted
by the next, whose stack has a new key. Here a key's id and material are derived from a
project-local seed (UNDERSTUDY_KMS_SEED) and what the key is (account, region, description,
spec, usage): the stack's key, created again on a fresh emulator, is the same key.

Usage: python stable-kms-moto.py [moto_server arguments]. Without a seed, or if moto's
internals are not what this expects, it runs moto_server unchanged.
"""

import hashlib
import hmac
import os
import sys
import uuid


def patch_kms(seed: bytes) -> None:
    from moto.kms import models

    original_init = models.Key.__init__

    def stable_init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original_init(self, *args, **kwargs)
        if self.multi_region or self.key_spec != "SYMMETRIC_DEFAULT":
            return
        backend = models.kms_backends[self.account_id][self.region]
        base = f"{self.account_id}|{self.region}|{self.description}|{self.key_spec}|{self.key_usage}"
        for n in range(1000):
            digest = hmac.new(seed, f"id|{base}|{n}".encode(), hashlib.sha256).digest()
            key_id = str(uuid.UUID(bytes=digest[:16], version=4))
            if key_id not in backend.keys:
                break
        self.arn = self.arn.replace(self.id, key_id)
        self.id = key_id
        self.key_material = hmac.new(seed, f"material|{key_id}".encode(), hashlib.sha256).digest()

    models.Key.__init__ = stable_init


def main() -> None:
    seed = os.environ.get("UNDERSTUDY_KMS_SEED", "")
    if seed:
        try:
            patch_kms(seed.encode())
        except Exception as error:  # noqa: BLE001 - any mismatch with moto's internals
            print(f"stable KMS keys unavailable ({error!r}); keys are random", file=sys.stderr)
    from moto.server import main as moto_main

    sys.argv[0] = "moto_server"
    sys.exit(moto_main())


if __name__ == "__main__":
    main()
