import { Response } from "express";
import { project, Projection } from "./projection.js";
import { ScimObject } from "./resource-input.js";
import { ResourceTypeDef } from "./schemas.js";

/**
 * Sends one rendered resource: its version as ETag, its location as Location on 201 (RFC 7644 §3.3), and the
 * body shaped by the request's attributes / excludedAttributes.
 */
export function sendResource(res: Response, status: number, type: ResourceTypeDef, resource: ScimObject, projection: Projection = {}) {
  const meta = resource.meta as { version: string; location: string };
  res.status(status).set("ETag", meta.version);
  if (status === 201) res.set("Location", meta.location);
  res.json(project(type, resource, projection));
}
