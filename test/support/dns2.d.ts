// dns2 2.1 ships no types: the part of its server API that test/support/dns-server.ts uses.
declare module "dns2" {
  import { Socket } from "node:dgram";
  interface Question { name: string; type: number; class: number }
  interface Answer { name: string; type: number; class: number; ttl: number; data: string | string[] }
  interface DnsPacket { header: { rcode: number }; questions: Question[]; answers: Answer[] }
  class UDPServer extends Socket {
    constructor(options: { type: "udp4" | "udp6" });
    listen(port: number, address: string): Promise<void>;
  }
  const dns2: {
    UDPServer: typeof UDPServer;
    Packet: {
      TYPE: Record<string, number>;
      CLASS: Record<string, number>;
      createResponseFromRequest(request: DnsPacket): DnsPacket;
    };
  };
  export default dns2;
  export type { DnsPacket };
}
