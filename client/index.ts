import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./admin-api.js";

export type { components, paths };
export type AdminApiClient = Client<paths>;

/**
 * A typed client for Rollcall's admin API (https://<rollcall>/api/v1), authenticated with a personal API token:
 *
 *     const rollcall = adminApiClient("https://id.example.com", process.env.ROLLCALL_API_TOKEN!);
 *     const { data, error } = await rollcall.GET("/organizations/{orgId}/users", {
 *       params: { path: { orgId } },
 *     });
 *
 * Paths, parameters, bodies and answers are checked by the compiler against the API this checkout serves.
 */
export function adminApiClient(baseUrl: string, apiToken: string, fetchImpl: typeof fetch = globalThis.fetch): AdminApiClient {
  return createClient<paths>({ baseUrl: `${baseUrl.replace(/\/$/, "")}/api/v1`, headers: { Authorization: `Bearer ${apiToken}` }, fetch: fetchImpl });
}
