import { Resolver } from "node:dns/promises";

/**
 * The TXT lookup behind domain verification: node's resolver on the configured servers (DNS_SERVERS; the system's
 * when empty), one try per server and a timeout per query, so that a silent server delays a check, never hangs it.
 */

export interface DnsOptions {
  /** `ip` or `ip:port` (`[ipv6]:port`); empty: the system's resolvers. */
  servers: string[];
  timeoutMs: number;
}

/** Without DNS_SERVERS: the system's resolvers, 5 s a query. */
export const SYSTEM_DNS: DnsOptions = { servers: [], timeoutMs: 5000 };

/** What a lookup found: the TXT strings (each record's chunks joined), or that the name has none, or a failure. */
export type TxtAnswer = { records: string[] } | { absent: true } | { failed: string };

/** Answers that say the name or its TXT records do not exist, as opposed to a lookup that could not be made. */
const ABSENT = new Set(["ENOTFOUND", "ENODATA", "NXDOMAIN"]);

export async function lookupTxt(name: string, options: DnsOptions): Promise<TxtAnswer> {
  const resolver = new Resolver({ timeout: options.timeoutMs, tries: 1 });
  if (options.servers.length) resolver.setServers(options.servers);
  try {
    return { records: (await resolver.resolveTxt(name)).map((chunks) => chunks.join("")) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "";
    if (ABSENT.has(code)) return { absent: true };
    return { failed: code === "ETIMEOUT" ? `no answer from the DNS server within ${options.timeoutMs} ms` : `DNS lookup failed (${code || String(err)})` };
  }
}
