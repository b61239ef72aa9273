"""moto_server made fit for the local platform: atomic DynamoDB and SQS, stable KMS keys.

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
   DynamoDB that silently loses updates. Transactions back up only the items they name
   instead of deep-copying whole tables (see cheapen_transaction_rollback).

2. SQS receives, deletes and visibility changes, one at a time per queue (required): moto can
   hand one message to two concurrent receivers, lose a message sent during a delete and bring
   deleted messages back; see serialise_sqs_queue_updates. Waiting long polls hold no lock.

3. Stable KMS keys (with UNDERSTUDY_KMS_SEED). moto gives every KMS key a random id and random
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

# Printed (to moto's log) once the required patches are in; scripts/moto.ts does not parse it.
READY = "understudy: DynamoDB requests serialised, SQS queue updates atomic per queue"


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


def serialise_sqs_queue_updates() -> None:
    """Per queue, one receive, delete or visibility change at a time; sends are never lost.

    moto's SQS changes a queue in several unlocked steps. A receive checks that a message is
    visible and then marks it received, so concurrent receivers (the local pollers: five per
    queue) can both take it: measured, 302 deliveries of 300 messages to five receivers, the
    second copy with ApproximateReceiveCount 2, which the shadow function reads as a
    redelivery. A delete rebuilds the queue's message list from a copy and puts it back, so a
    message sent or deleted meanwhile is lost or comes back: measured with 3,000 messages
    waiting, four senders and five receivers deleting what they got, 98 deleted messages came
    back in flight (to be delivered again after the visibility timeout) and one sent message
    vanished. Here a per-queue lock covers receives (given up while a long poll waits, so it
    holds up no other receiver), deletes, visibility changes and purges, and deletes and purges
    also take the lock moto's own append holds. Sends, other queues and waiting long polls
    never wait for it. Raises if moto's internals are not what this expects.
    """
    from moto.sqs import models

    backend = models.SQSBackend
    original_receive = backend.receive_message
    original_wait = models.Queue.wait_for_messages
    original_delete = models.Queue.delete_message
    original_visibility = backend.change_message_visibility
    original_purge = backend.purge_queue
    if "queue.wait_for_messages(" not in inspect.getsource(original_receive):
        raise RuntimeError("SQSBackend.receive_message no longer waits through Queue.wait_for_messages")
    if "with self._messages_lock:" not in inspect.getsource(models.Queue.add_message):
        raise RuntimeError("Queue.add_message no longer appends under Queue._messages_lock")

    locks_lock = threading.Lock()

    def lock_of(queue):  # type: ignore[no-untyped-def]
        with locks_lock:
            lock = queue.__dict__.get("_understudy_lock")
            if lock is None:
                lock = queue.__dict__["_understudy_lock"] = threading.Lock()
            return lock

    @functools.wraps(original_receive)
    def receive_message(self, queue_name, *args, **kwargs):  # type: ignore[no-untyped-def]
        with lock_of(self.get_queue(queue_name)):
            return original_receive(self, queue_name, *args, **kwargs)

    @functools.wraps(original_wait)
    def wait_for_messages(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        # Only receive_message waits, holding this queue's lock: let the others in meanwhile.
        lock = lock_of(self)
        lock.release()
        try:
            return original_wait(self, *args, **kwargs)
        finally:
            lock.acquire()

    @functools.wraps(original_delete)
    def delete_message(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        with lock_of(self), self._messages_lock:
            return original_delete(self, *args, **kwargs)

    @functools.wraps(original_visibility)
    def change_message_visibility(self, queue_name, *args, **kwargs):  # type: ignore[no-untyped-def]
        with lock_of(self.get_queue(queue_name)):
            return original_visibility(self, queue_name, *args, **kwargs)

    @functools.wraps(original_purge)
    def purge_queue(self, queue_name, *args, **kwargs):  # type: ignore[no-untyped-def]
        queue = self.get_queue(queue_name)
        with lock_of(queue), queue._messages_lock:
            return original_purge(self, queue_name, *args, **kwargs)

    backend.receive_message = receive_message
    backend.change_message_visibility = change_message_visibility
    backend.purge_queue = purge_queue
    models.Queue.wait_for_messages = wait_for_messages
    models.Queue.delete_message = delete_message


def speed_up_sqs() -> None:
    """Keeps moto's SQS calls cheap when a queue holds thousands of messages.

    moto's SQS reads the clock through moto.core.utils.unix_time (datetime arithmetic, about
    15 us a call) once or twice per message for every scan of a queue, and scans the whole
    queue three times (the approximate counts of Queue.attributes) on every SendMessage and
    nine times per message it hands out (the retention check reads all queue attributes to
    get one). Measured here with 3,000 messages waiting: 4.6 s a ReceiveMessage, 150 ms a
    SendMessage, which the request path waits on. The same clock from time.time(), and the
    retention check reading the one attribute it needs, give the same answers. Speed only:
    raises if moto's internals are not what this expects, and moto then runs unchanged.
    """
    import time

    from moto.sqs import models

    valid = models.SQSBackend.is_message_valid_based_on_retention_period
    if "get_queue_attributes(" not in inspect.getsource(valid):
        raise RuntimeError("SQSBackend.is_message_valid_based_on_retention_period changed")
    original_unix_time = models.unix_time
    original_unix_time_millis = models.unix_time_millis

    def unix_time(dt=None):  # type: ignore[no-untyped-def]
        return time.time() if dt is None else original_unix_time(dt)

    def unix_time_millis(dt=None):  # type: ignore[no-untyped-def]
        return time.time() * 1000.0 if dt is None else original_unix_time_millis(dt)

    @functools.wraps(valid)
    def is_message_valid_based_on_retention_period(self, queue_name, message):  # type: ignore[no-untyped-def]
        retain_until = self.get_queue(queue_name).message_retention_period + message.sent_timestamp / 1000
        return retain_until > time.time()

    models.unix_time = unix_time
    models.unix_time_millis = unix_time_millis
    models.SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period


def cheapen_transaction_rollback() -> None:
    """Backs up only what a transaction can change instead of deep-copying its tables.

    moto's TransactWriteItems deep-copies every table it names before the first write, to put
    the copies back if the transaction is cancelled: a second per transaction on a table of
    3,000 items here (the registry, where every mirrored event leaves a claim), during which
    the GIL stalls every other request, SQS sends on the request path included. With
    DynamoDB requests serialised nothing else changes a table during a transaction, so the
    backup can be the table with a fresh item index (a shallow copy: untouched items are only
    ever replaced, never changed in place) and deep copies of just the items the transaction
    names (an Update changes its item in place). moto's own code still does the rest: the
    conditions, the writes, the rollback, the cancellation reasons. Must run after
    serialise_dynamodb; raises if moto's internals are not what this expects.
    """
    import collections
    import copy

    from moto.dynamodb import models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    original = models.DynamoDBBackend.transact_write_items
    source = inspect.getsource(original)
    if models.copy is not copy or "copy.deepcopy(" not in source or "original_table_state" not in source:
        raise RuntimeError("DynamoDBBackend.transact_write_items no longer backs up tables with copy.deepcopy")

    # The keys each table's backup must hold deep copies of, for the transaction under way.
    current = threading.local()

    def backup(table: Table, named: list) -> Table:  # type: ignore[type-arg]
        clone = copy.copy(table)
        if table.range_key_attr is None:
            clone.items = collections.defaultdict(dict, table.items)
        else:
            clone.items = collections.defaultdict(dict, {h: dict(r) for h, r in table.items.items()})
        for attributes in named:
            hash_value = attributes.get(table.hash_key_attr)
            if hash_value is None:
                continue  # moto rejects the operation before writing anything for it
            hash_key = DynamoType(hash_value)
            if table.range_key_attr is None:
                if hash_key in clone.items:
                    clone.items[hash_key] = copy.deepcopy(clone.items[hash_key])
                continue
            range_value = attributes.get(table.range_key_attr)
            by_range = clone.items.get(hash_key)
            if range_value is None or by_range is None:
                continue
            range_key = DynamoType(range_value)
            if range_key in by_range:
                by_range[range_key] = copy.deepcopy(by_range[range_key])
        return clone

    class CopyForTransactions:
        """The `copy` module as moto.dynamodb.models sees it: tables in a transaction get a backup."""

        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return getattr(copy, name)

        def deepcopy(self, value, memo=None):  # type: ignore[no-untyped-def]
            named = getattr(current, "named", None)
            if named is not None and isinstance(value, Table):
                return backup(value, named.get(value.name, []))
            return copy.deepcopy(value, memo)

    @functools.wraps(original)
    def transact_write_items(self, transact_items, *args, **kwargs):  # type: ignore[no-untyped-def]
        named: dict = {}  # type: ignore[type-arg]
        for entry in transact_items:
            for operation in entry.values():
                if isinstance(operation, dict) and operation.get("TableName") in self.tables:
                    key = operation.get("Item") if "Item" in operation else operation.get("Key")
                    named.setdefault(operation["TableName"], []).append(key or {})
        current.named = named
        try:
            return original(self, transact_items, *args, **kwargs)
        finally:
            current.named = None

    models.copy = CopyForTransactions()
    models.DynamoDBBackend.transact_write_items = transact_write_items


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
    try:
        serialise_sqs_queue_updates()
    except Exception as error:  # noqa: BLE001 - any mismatch with moto's internals is fatal
        print(
            f"understudy: cannot make moto's SQS queue updates atomic ({error!r}); refusing to start "
            "an emulator that loses, duplicates and resurrects messages under concurrency",
            file=sys.stderr,
        )
        sys.exit(3)
    print(READY, file=sys.stderr)
    try:
        cheapen_transaction_rollback()
    except Exception as error:  # noqa: BLE001 - moto's own rollback is slow but correct
        print(f"understudy: transactions back up whole tables ({error!r}): slow on big tables", file=sys.stderr)
    try:
        speed_up_sqs()
    except Exception as error:  # noqa: BLE001 - moto's own SQS is slow but correct
        print(f"understudy: SQS left as moto has it ({error!r}): slow on long queues", file=sys.stderr)
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
