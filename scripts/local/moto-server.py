"""moto_server made fit for the local platform: an atomic DynamoDB, and stable KMS keys.

Usage: python moto-server.py [moto_server arguments]. scripts/moto.ts always starts moto
through this file.

1. DynamoDB, one request at a time (required). moto's server runs every request on its own
   thread and its DynamoDB backend takes no lock: a conditional write reads the item, checks
   the condition and writes in separate steps, so two concurrent writes can both pass the
   same condition (measured: 400 successful `v = :expected` updates left a counter at 398),
   and TransactWriteItems deep-copies whole tables for its rollback while other threads
   change them (an HTML 500, "dictionary changed size during iteration") and its rollback can
   undo other requests' writes. DynamoDB itself is atomic per request; so is the emulator
   with one process-wide lock around the handler of every DynamoDB request. Other services
   stay concurrent: an SQS long poll holding a lock would stall everything. If moto's
   internals are not what this expects, the wrapper exits with an error instead of running a
   DynamoDB that silently loses updates.

2. Stable KMS keys (with UNDERSTUDY_KMS_SEED). moto gives every KMS key a random id and random
   key material, so ciphertexts saved from one run (the access keys the control plane stores
   encrypted in the registry) cannot be decrypted by the next, whose stack has a new key. Here
   a key's id and material are derived from a project-local seed and what the key is
   (account, region, description, spec, usage): the stack's key, created again on a fresh
   emulator, is the same key. Without a seed, or if moto's KMS internals differ, keys are
   random (a warning says so): that loses saved state across restarts, not correctness.
"""

import functools
import hashlib
import hmac
import inspect
import os
import sys
import threading
import uuid

# Printed (to moto's log) once the lock is in place; scripts/moto.ts does not parse it.
DYNAMODB_READY = "understudy: DynamoDB requests are serialised (one process-wide lock)"


def serialise_dynamodb() -> None:
    """Runs every DynamoDB request's action under one lock; raises if the hook is not there."""
    from moto.core.responses import BaseResponse
    from moto.dynamodb import urls
    from moto.dynamodb.responses import DynamoHandler

    # The server routes DynamoDB requests to DynamoHandler.dispatch, which builds a handler and
    # calls _dispatch -> call_action (moto 5.x). Check each link rather than trust it: a moto
    # that routes elsewhere would leave the lock unused.
    routes = list(urls.url_paths.values())
    if not routes or any(getattr(route, "__self__", None) is not DynamoHandler for route in routes):
        raise RuntimeError(f"moto.dynamodb.urls routes requests elsewhere than DynamoHandler: {routes!r}")
    if "self.call_action()" not in inspect.getsource(BaseResponse._dispatch):
        raise RuntimeError("BaseResponse._dispatch no longer calls self.call_action()")
    original = DynamoHandler.__dict__.get("call_action")
    if original is None:
        raise RuntimeError("DynamoHandler.call_action is not defined by DynamoHandler")

    lock = threading.Lock()

    @functools.wraps(original)
    def call_action(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        with lock:
            return original(self, *args, **kwargs)

    DynamoHandler.call_action = call_action


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
    try:
        serialise_dynamodb()
    except Exception as error:  # noqa: BLE001 - any mismatch with moto's internals is fatal
        print(
            f"understudy: cannot make moto's DynamoDB atomic ({error!r}); refusing to start an "
            "emulator whose conditional writes and transactions lose updates under concurrency",
            file=sys.stderr,
        )
        sys.exit(3)
    print(DYNAMODB_READY, file=sys.stderr)
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
