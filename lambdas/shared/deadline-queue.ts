const IGNORE = () => {};

/**
 * Something in flight whose promise settles once: with its work's outcome, or when its deadline
 * passes first (DeadlineQueue).
 */
export class Deadline<T> {
  settled = false;
  /** Its own timer, when it could not join the shared queue (see DeadlineQueue). */
  timer: NodeJS.Timeout | undefined;
  resolve!: (value: T) => void;
  reject!: (error: unknown) => void;
  readonly promise: Promise<T>;

  /** `deadline` in `Date.now()` milliseconds. */
  constructor(readonly deadline: number) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/** Settled entries at the head of the queue are dropped in place until this many, then cut off. */
const COMPACT_AT = 1024;

/**
 * Deadlines of things in flight, all watched by one timer. What a function runs starts in time
 * order with the same timeout, so the deadlines come in order: they queue, and the timer is
 * set for the earliest one still unsettled. A timer per entry (setTimeout, then clearTimeout)
 * costs a Timeout, and a timer list of its own for each distinct duration, made and taken
 * down each time: on the data plane that was about a tenth of a request's whole cost (issue
 * 16). An entry due earlier than the queue's last gets a timer of its own.
 *
 * Hand-written: Node's timers are themselves lists per duration, but each setTimeout still
 * allocates and links a Timeout. The timer is unref'd: a deadline never keeps the process
 * alive by itself.
 */
export class DeadlineQueue<T extends Deadline<unknown>> {
  /** Entries watched and not yet settled. */
  private running = 0;
  private queue: T[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly onTimer = () => this.expireDue();

  /**
   * `expire` is called once for each entry whose deadline passed before it settled (it settles
   * the entry, with its owner's error); `onIdle` each time the last entry in flight settles.
   */
  constructor(
    private readonly expire: (entry: T) => void,
    private readonly onIdle?: () => void,
  ) {}

  /** Entries watched and not yet settled. */
  get inFlight(): number {
    return this.running;
  }

  watch(entry: T): void {
    this.running++;
    const last = this.queue[this.queue.length - 1];
    if (last !== undefined && entry.deadline < last.deadline) {
      entry.timer = setTimeout(
        () => {
          if (!entry.settled) this.expire(entry);
        },
        Math.max(0, entry.deadline - Date.now()),
      ).unref();
      return;
    }
    this.queue.push(entry);
    this.dropSettledHead();
    this.timer ??= this.arm();
  }

  /** Settles an entry once (later calls do nothing): its promise, its own timer, the count in flight. */
  settle(entry: T, fulfilled: boolean, outcome: unknown): void {
    if (entry.settled) return;
    entry.settled = true;
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    this.running--;
    if (fulfilled) entry.resolve(outcome);
    else entry.reject(outcome);
    // Released: a settled entry may wait in the queue a while, and must not hold its outcome.
    entry.resolve = IGNORE;
    entry.reject = IGNORE;
    if (this.running === 0) {
      // The timer stays: a server between two requests is idle for microseconds, and re-arming
      // it per request is what the queue is there to avoid. When it fires it finds nothing due.
      this.queue = [];
      this.head = 0;
      this.onIdle?.();
    }
  }

  private arm(): NodeJS.Timeout | undefined {
    const next = this.queue[this.head];
    return next && setTimeout(this.onTimer, Math.max(0, next.deadline - Date.now())).unref();
  }

  private expireDue(): void {
    this.timer = undefined;
    const now = Date.now();
    const due: T[] = [];
    while (this.head < this.queue.length) {
      const next = this.queue[this.head] as T;
      if (!next.settled) {
        if (next.deadline > now) break;
        due.push(next);
      }
      this.head++;
    }
    this.dropSettledHead();
    this.timer = this.arm();
    // Last: expiring the last of them may leave nothing in flight, which clears the queue.
    for (const entry of due) if (!entry.settled) this.expire(entry);
  }

  private dropSettledHead(): void {
    while (this.head < this.queue.length && (this.queue[this.head] as T).settled) this.head++;
    if (this.head >= COMPACT_AT && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
