import { AddressInfo } from "node:net";
import dns2, { DnsPacket } from "dns2";

/**
 * A real DNS server on loopback (dns2, UDP) for domain verification: it answers TXT questions from `records`,
 * NXDOMAIN for names it does not know, and nothing at all for `silent` names (a server that times out).
 */
export interface TestDns {
  /** What DNS_SERVERS would say: `127.0.0.1:<port>`. */
  server: string;
  records: Map<string, string[]>;
  silent: Set<string>;
  /** Every name asked, in order. */
  asked: string[];
  close(): Promise<void>;
}

const NXDOMAIN = 3;

export async function startDnsServer(): Promise<TestDns> {
  const { Packet, UDPServer } = dns2;
  const records = new Map<string, string[]>();
  const silent = new Set<string>();
  const asked: string[] = [];
  const server = new UDPServer({ type: "udp4" });
  server.on("request", (request: DnsPacket, send: (response: DnsPacket) => Promise<unknown>) => {
    const [question] = request.questions;
    const name = question.name.toLowerCase();
    asked.push(name);
    if (silent.has(name)) return;
    const response = Packet.createResponseFromRequest(request);
    const values = question.type === Packet.TYPE.TXT ? records.get(name) : undefined;
    if (!records.has(name)) response.header.rcode = NXDOMAIN;
    for (const data of values ?? []) response.answers.push({ name: question.name, type: Packet.TYPE.TXT, class: Packet.CLASS.IN, ttl: 60, data });
    void send(response);
  });
  await server.listen(0, "127.0.0.1");
  const { port } = server.address() as AddressInfo;
  return {
    server: `127.0.0.1:${port}`, records, silent, asked,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
