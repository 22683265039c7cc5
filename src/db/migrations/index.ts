import { Initial1764200000000 } from "./1764200000000-Initial.js";
import { Sso1764300000000 } from "./1764300000000-Sso.js";
import { Admin1764400000000 } from "./1764400000000-Admin.js";
import { SamlResponseShapes1764530000000 } from "./1764530000000-SamlResponseShapes.js";
import { Events1765000000000 } from "./1765000000000-Events.js";
import { OpenIdProvider1765100000000 } from "./1765100000000-OpenIdProvider.js";
import { SamlLogoutSessions1765200000000 } from "./1765200000000-SamlLogoutSessions.js";
import { Domains1765300000000 } from "./1765300000000-Domains.js";
import { AdminSecondFactor1765400000000 } from "./1765400000000-AdminSecondFactor.js";
import { SetupPortal1765500000000 } from "./1765500000000-SetupPortal.js";
import { ScimSpeed1765600000000 } from "./1765600000000-ScimSpeed.js";

/** Every migration, oldest first. Listed by hand: ESM builds cannot glob-load classes. */
export const migrations = [
  Initial1764200000000, Sso1764300000000, Admin1764400000000, SamlResponseShapes1764530000000, Events1765000000000,
  OpenIdProvider1765100000000, SamlLogoutSessions1765200000000, Domains1765300000000, AdminSecondFactor1765400000000,
  SetupPortal1765500000000, ScimSpeed1765600000000,
];
