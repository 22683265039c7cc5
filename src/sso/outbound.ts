import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/**
 * Requests to admin-entered IdP URLs (SAML metadata, OIDC discovery, token, JWKS, userinfo): https only, and only to
 * public addresses, unless insecure IdPs are allowed (tests, local development), so that a connection's settings
 * cannot make the server reach into its own network.
 */

/** Loopback, private, link-local, carrier-grade NAT and unspecified ranges. */
const internal = new BlockList();
for (const [net, bits] of [["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16],
  ["172.16.0.0", 12], ["192.168.0.0", 16]] as const) internal.addSubnet(net, bits, "ipv4");
for (const [net, bits] of [["::", 128], ["::1", 128], ["fc00::", 7], ["fe80::", 10]] as const) internal.addSubnet(net, bits, "ipv6");

// BlockList checks an IPv4-mapped IPv6 address (::ffff:10.0.0.1) against the IPv4 ranges.
const isInternal = (address: string) => internal.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");

/**
 * Throws, with a message for the admin, when `url` may not be fetched. The name is resolved here and fetch resolves
 * it again, so a DNS answer that changes in between (rebinding) is not caught.
 */
export async function assertPublicUrl(url: string, allowInsecureIdp: boolean): Promise<void> {
  if (!URL.canParse(url)) throw new Error(`"${url}" is not a URL.`);
  const parsed = new URL(url);
  const schemes = allowInsecureIdp ? ["https:", "http:"] : ["https:"];
  if (!schemes.includes(parsed.protocol)) throw new Error(`it must use https (got ${parsed.protocol}//).`);
  if (allowInsecureIdp) return;
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  const addresses = await lookup(host, { all: true });
  if (addresses.some((a) => isInternal(a.address))) throw new Error(`its host ${host} is a private or loopback address, which is not allowed.`);
}

/** fetch that checks every URL with assertPublicUrl first (openid-client's customFetch passes a string URL). */
export function publicFetch(allowInsecureIdp: boolean) {
  return async (url: string, init: object): Promise<Response> => {
    await assertPublicUrl(url, allowInsecureIdp);
    return fetch(url, init as RequestInit);
  };
}
