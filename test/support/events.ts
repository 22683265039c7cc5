import { Database } from "../../src/db/database.js";
import { listEventsAfter } from "../../src/identity/events/outbox.js";

/**
 * Resolves once readers see every event written so far. On PostgreSQL an event is read only once every older
 * transaction of its database has ended (src/identity/events/outbox.ts), so a just-committed event may take a moment
 * to show while another request of the app is still running; on SQLite it shows at once.
 */
export async function eventsSettled(db: Database): Promise<void> {
  const em = db.dataSource.manager;
  const [{ newest }] = await em.query("SELECT MAX(id) AS newest FROM (SELECT id FROM events ORDER BY seq DESC LIMIT 1) AS last");
  if (!newest) return;
  for (let i = 0; i < 1200; i++) {
    const visible = await listEventsAfter(em, "instance", null, [], 1_000_000);
    if (visible.some((e) => e.id === newest)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("events written did not become readable within a minute");
}
