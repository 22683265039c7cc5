import { Logger } from "pino";
import { Webhook } from "standardwebhooks";
import { Database } from "../../db/database.js";
import { consumeEvents, LifecycleEvent, pruneEvents } from "../../identity/events/outbox.js";
import {
  AttemptOutcome, LeasedDelivery, leaseDueDeliveries, pruneDeliveries, queueDeliveries, recordAttempts,
} from "../../identity/webhooks.js";
import { recordWebhookAttempt } from "../../metrics.js";
import { assertPublicUrl } from "../../sso/outbound.js";

/**
 * The webhook worker, one in every replica (on SQLite, the one process). Each pass: fan the new events out into
 * deliveries (one replica at a time, outbox.ts consumeEvents), then lease the due deliveries (PostgreSQL
 * `FOR UPDATE SKIP LOCKED`, so replicas share the work) and POST each, signed per Standard Webhooks. A delivery is
 * retried with exponential backoff and jitter for about three days; then, or on 410 Gone, the endpoint is disabled
 * and the audit log says why. The clock is injected: tests move it instead of sleeping.
 */

/** Waits after the 1st, 2nd, … failed attempt: about 72 hours in all; the attempt after the last wait is the last. */
export const RETRY_SCHEDULE_MS = [5e3, 60e3, 5 * 60e3, 30 * 60e3, 2 * 3600e3, 5 * 3600e3, 10 * 3600e3, 14 * 3600e3, 20 * 3600e3, 20 * 3600e3];
/** Each wait is stretched or shrunk by up to this share, so that retries after an outage do not all arrive together. */
const JITTER = 0.2;

export interface WebhookWorkerDeps {
  db: Database;
  secretKey: Buffer;
  logger: Logger;
  /** How long a receiver may take to answer. */
  timeoutMs: number;
  /** Lets endpoints be http:// and on private or loopback addresses (tests, local development). */
  allowPrivateUrls: boolean;
  /** Deliveries sent at once by this worker (32 by default). */
  concurrency?: number;
  now?: () => Date;
  random?: () => number;
}

export function retryDelay(failedAttempts: number, random: () => number): number | null {
  const base = RETRY_SCHEDULE_MS[failedAttempts - 1];
  return base === undefined ? null : Math.round(base * (1 + JITTER * (2 * random() - 1)));
}

const USER_AGENT = "Rollcall-Webhooks/1";

/** The body every delivery of an event carries: the same bytes on each retry, so a receiver may deduplicate on webhook-id. */
export const webhookBody = (event: LifecycleEvent) => JSON.stringify({
  id: event.id, type: event.type, timestamp: event.timestamp, organizationId: event.organizationId, actor: event.actor,
  requestId: event.requestId, data: event.data,
});

export class WebhookWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly now: () => Date;
  private readonly random: () => number;

  constructor(private readonly deps: WebhookWorkerDeps) {
    this.now = deps.now ?? (() => new Date());
    this.random = deps.random ?? Math.random;
  }

  /** Runs a pass every `intervalMs` (never two at once) until stop(). */
  start(intervalMs = 1000): void {
    const tick = () => {
      this.running = this.runOnce().catch((err) => this.deps.logger.warn({ err }, "webhook worker pass failed")).then(() => {
        this.running = null;
        if (this.timer) this.timer = setTimeout(tick, intervalMs).unref();
      });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass: fan out every new event, then send every due delivery. Returns how many attempts were made. */
  async runOnce(): Promise<number> {
    while (await consumeEvents(this.deps.db, "webhooks", {}, (em, events) => queueDeliveries(em, events, this.now())) > 0);
    let attempts = 0;
    const limit = this.deps.concurrency ?? 32;
    for (;;) {
      const now = this.now();
      const leased = await leaseDueDeliveries(this.deps.db, this.deps.secretKey, now, new Date(now.getTime() + this.deps.timeoutMs + 5_000), limit);
      if (leased.length === 0) return attempts;
      const outcomes = await Promise.all(leased.map(async (delivery) => ({ delivery, outcome: await this.attempt(delivery) })));
      await recordAttempts(this.deps.db, outcomes, this.now());
      attempts += leased.length;
    }
  }

  /** Deletes events and finished deliveries older than the retention period. */
  async prune(retentionDays: number): Promise<void> {
    const before = new Date(this.now().getTime() - retentionDays * 86_400_000);
    await pruneDeliveries(this.deps.db, before);
    await pruneEvents(this.deps.db, before);
  }

  private async attempt(delivery: LeasedDelivery): Promise<AttemptOutcome> {
    const outcome = await this.send(delivery);
    recordWebhookAttempt(outcome.kind);
    if (outcome.kind !== "delivered") {
      this.deps.logger.info({ deliveryId: delivery.id, endpointId: delivery.endpoint.id, outcome: outcome.kind, error: outcome.error }, "webhook delivery failed");
    }
    return outcome;
  }

  private async send(delivery: LeasedDelivery): Promise<AttemptOutcome> {
    if (!delivery.event) return { kind: "give_up", responseStatus: null, error: "the event is no longer kept (retention)", disableEndpoint: null };
    let status: number | null = null;
    let error: string;
    try {
      await assertPublicUrl(delivery.endpoint.url, this.deps.allowPrivateUrls);
      const body = webhookBody(delivery.event);
      // The wall clock, not the injected one: receivers check webhook-timestamp against theirs.
      const sentAt = new Date();
      const response = await fetch(delivery.endpoint.url, {
        method: "POST", body, redirect: "manual", signal: AbortSignal.timeout(this.deps.timeoutMs),
        headers: {
          "content-type": "application/json", "user-agent": USER_AGENT,
          "webhook-id": delivery.event.id, "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
          "webhook-signature": new Webhook(delivery.endpoint.secret).sign(delivery.event.id, sentAt, body),
        },
      });
      await response.body?.cancel();
      status = response.status;
      if (status >= 200 && status < 300) return { kind: "delivered", responseStatus: status };
      if (status === 410) return { kind: "give_up", responseStatus: status, error: "410 Gone", disableEndpoint: "the receiver answered 410 Gone" };
      error = `HTTP ${status}`;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      error = e.name === "TimeoutError" ? `no answer within ${this.deps.timeoutMs / 1000} s` : e.cause?.code ?? e.message;
    }
    const delay = retryDelay(delivery.attempts + 1, this.random);
    if (delay === null) {
      return { kind: "give_up", responseStatus: status, error, disableEndpoint: `${delivery.attempts + 1} failed attempts over about 3 days (last: ${error})` };
    }
    return { kind: "retry", retryAt: new Date(this.now().getTime() + delay), responseStatus: status, error };
  }
}
