import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, Server, Socket, connect } from "node:net";
import { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import supertest from "supertest";
import { createApp } from "../../src/app.js";
import { Database, openDatabase } from "../../src/db/database.js";
import { createOrganization } from "../../src/identity/organizations.js";
import { createScimToken } from "../../src/identity/scim-tokens.js";
import { databaseTargets } from "../support/databases.js";

/**
 * Issue 9: a database that is reachable but does not answer (a network partition) must not hang anything. A TCP
 * proxy between the app and PostgreSQL stops forwarding, without closing anything, as a partition would look from
 * the app: /readyz answers 503, SCIM and admin requests answer 503 with Retry-After, and service comes back by
 * itself once the proxy forwards again. A refused database (the proxy gone) is answered the same way.
 */

/** Forwards TCP to PostgreSQL; `stall()` stops moving bytes both ways (connections stay open), `forward()` resumes. */
class PartitionProxy {
  private stalled = false;
  private readonly pairs = new Set<[Socket, Socket]>();
  readonly server: Server;

  constructor(private readonly upstream: { host: string; port: number }) {
    this.server = createServer((client) => {
      const server = connect(this.upstream.port, this.upstream.host);
      const pair: [Socket, Socket] = [client, server];
      this.pairs.add(pair);
      const end = () => {
        client.destroy();
        server.destroy();
        this.pairs.delete(pair);
      };
      for (const socket of pair) socket.on("error", end).on("close", end);
      if (!this.stalled) this.link(pair);
    });
  }

  get port() {
    return (this.server.address() as AddressInfo).port;
  }

  private link([client, server]: [Socket, Socket]) {
    client.pipe(server);
    server.pipe(client);
  }

  stall() {
    this.stalled = true;
    for (const [client, server] of this.pairs) {
      client.unpipe();
      server.unpipe();
      client.pause();
      server.pause();
    }
  }

  forward() {
    this.stalled = false;
    for (const pair of this.pairs) this.link(pair);
  }

  /** Connections reset and nobody listening: a refused database. */
  async refuse() {
    for (const [client, server] of this.pairs) {
      client.destroy();
      server.destroy();
    }
    this.server.close();
  }
}

const postgres = (await databaseTargets()).find((t) => t.name === "postgres")!;

describe("a database that stops answering (PostgreSQL behind a stalling proxy)", { skip: postgres.skip }, () => {
  let drop: () => Promise<void>;
  let proxy: PartitionProxy;
  let db: Database;
  let http: ReturnType<typeof supertest>;
  let token: string;
  let userId: string;
  const scim = (method: "get" | "post", path: string) =>
    http[method](`/scim/v2${path}`).set("Authorization", `Bearer ${token}`).set("Content-Type", "application/scim+json").timeout(15_000);

  before(async () => {
    const created = await postgres.create();
    drop = created.drop;
    const url = new URL(created.url);
    proxy = new PartitionProxy({ host: url.hostname, port: Number(url.port || 5432) });
    proxy.server.listen(0, "127.0.0.1");
    await once(proxy.server, "listening");
    url.host = `127.0.0.1:${proxy.port}`;
    // A short statement limit keeps the test quick; the bounds are the same in kind as the defaults.
    db = await openDatabase({ url: url.toString(), statementTimeoutMs: 1_000 });
    const system = { type: "system" as const, id: null };
    const org = await createOrganization(db, { slug: "acme", name: "Acme" }, system);
    token = (await createScimToken(db, org.id, { name: "idp" }, system)).token;
    const app = createApp({ db, baseUrl: "http://rollcall.test", logger: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }), secretKey: randomBytes(32) });
    http = supertest(app);
    userId = (await scim("post", "/Users").send({ userName: "before@acme.test" }).expect(201)).body.id;
  });
  after(async () => {
    proxy.forward();
    await db.close();
    await proxy.refuse();
    await drop();
  });

  it("answers while the database answers", async () => {
    await http.get("/readyz").expect(200);
    await scim("get", `/Users/${userId}`).expect(200);
  });

  it("stalled: /readyz 503, SCIM reads and writes 503 with Retry-After, the admin API 503, and nothing hangs", async () => {
    proxy.stall();
    const ready = await http.get("/readyz").timeout(5_000);
    assert.equal(ready.status, 503);
    assert.equal(ready.body.status, "database not answering");
    const [read, write] = await Promise.all([
      scim("get", `/Users/${userId}`),
      scim("post", "/Users").send({ userName: "during@acme.test" }),
    ]);
    for (const res of [read, write]) {
      assert.equal(res.status, 503, JSON.stringify(res.body));
      assert.equal(res.headers["retry-after"], "5");
      assert.equal(res.body.status, "503");
      assert.match(res.body.detail, /database is not answering; nothing was changed/);
    }
    const admin = await http.get("/api/v1/organizations").set("Authorization", "Bearer rca_whatever").timeout(15_000);
    assert.equal(admin.status, 503, JSON.stringify(admin.body));
    assert.equal(admin.headers["retry-after"], "5");
  });

  it("forwarding again: service comes back by itself, and the write answered 503 was not applied", async () => {
    proxy.forward();
    let status = 0;
    for (let attempt = 0; attempt < 40 && status !== 200; attempt++) {
      status = (await http.get("/readyz").timeout(5_000)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(status, 200, "/readyz did not recover");
    await scim("get", `/Users/${userId}`).expect(200);
    const during = await scim("get", `/Users?filter=${encodeURIComponent('userName eq "during@acme.test"')}`).expect(200);
    assert.equal(during.body.totalResults, 0);
    await scim("post", "/Users").send({ userName: "after@acme.test" }).expect(201);
  });

  it("refused (nobody listening): 503 as well, at once", async () => {
    await proxy.refuse();
    const ready = await http.get("/readyz").timeout(5_000);
    assert.equal(ready.status, 503);
    const read = await scim("get", `/Users/${userId}`);
    assert.equal(read.status, 503, JSON.stringify(read.body));
    assert.equal(read.headers["retry-after"], "5");
  });
});
