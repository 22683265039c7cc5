/**
 * Expensive reads (a filtered page of users: a count and a scan of one organization's rows) take turns by
 * organization, so that one organization's searches cannot hold every database connection, or on SQLite the one
 * scan worker, while another organization waits. Organizations with work waiting take turns; each may
 * have at most `perOrganization` reads running and `queuedPerOrganization` waiting, beyond which it is told to retry.
 */

export interface FairQueueLimits {
  /** Reads running at once, all organizations together. */
  total: number;
  /** Reads running at once for one organization. */
  perOrganization: number;
  /** Reads waiting for one organization; one more is refused (the caller answers 503 with Retry-After). */
  queuedPerOrganization: number;
}

/** Thrown when an organization already has `queuedPerOrganization` reads waiting. */
export class OrganizationBusy extends Error {
  constructor(readonly limit: number) {
    super(`This organization already has ${limit} expensive searches waiting; retry when they have finished.`);
    this.name = "OrganizationBusy";
  }
}

interface Waiting { start(): void }

export class FairQueue {
  private running = 0;
  private readonly runningBy = new Map<string, number>();
  private readonly waiting = new Map<string, Waiting[]>();
  /** When each organization with reads waiting or running was last served (a counter): the longest unserved goes next. */
  private readonly lastServed = new Map<string, number>();
  private turn = 0;

  constructor(private readonly limits: FairQueueLimits) {}

  run<T>(organizationId: string, read: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.running++;
        this.runningBy.set(organizationId, (this.runningBy.get(organizationId) ?? 0) + 1);
        read().then(resolve, reject).finally(() => {
          this.running--;
          const left = this.runningBy.get(organizationId)! - 1;
          if (left) this.runningBy.set(organizationId, left);
          else this.runningBy.delete(organizationId);
          if (!left && !this.waiting.has(organizationId)) this.lastServed.delete(organizationId);
          this.dispatch();
        });
      };
      const queue = this.waiting.get(organizationId) ?? [];
      if (queue.length >= this.limits.queuedPerOrganization) return reject(new OrganizationBusy(this.limits.queuedPerOrganization));
      queue.push({ start });
      this.waiting.set(organizationId, queue);
      this.dispatch();
    });
  }

  /**
   * Starts waiting reads while there is room. Next is the organization that may run one more and was served least
   * recently (never, for one that just arrived): a backlog of one organization never goes before another's first read.
   */
  private dispatch(): void {
    while (this.running < this.limits.total) {
      let next: string | undefined;
      for (const org of this.waiting.keys()) {
        if ((this.runningBy.get(org) ?? 0) >= this.limits.perOrganization) continue;
        if (next === undefined || (this.lastServed.get(org) ?? -1) < (this.lastServed.get(next) ?? -1)) next = org;
      }
      if (next === undefined) return;
      const queue = this.waiting.get(next)!;
      const item = queue.shift()!;
      if (!queue.length) this.waiting.delete(next);
      this.lastServed.set(next, ++this.turn);
      item.start();
    }
  }
}
