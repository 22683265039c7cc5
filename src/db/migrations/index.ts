import { Initial1764200000000 } from "./1764200000000-Initial.js";
import { Sso1764300000000 } from "./1764300000000-Sso.js";
import { Admin1764400000000 } from "./1764400000000-Admin.js";
import { SamlResponseShapes1764530000000 } from "./1764530000000-SamlResponseShapes.js";
import { SamlLogoutSessions1765200000000 } from "./1765200000000-SamlLogoutSessions.js";
import { AdminSecondFactor1765400000000 } from "./1765400000000-AdminSecondFactor.js";

/** Every migration, oldest first. Listed by hand: ESM builds cannot glob-load classes. */
export const migrations = [Initial1764200000000, Sso1764300000000, Admin1764400000000, SamlResponseShapes1764530000000,
  SamlLogoutSessions1765200000000, AdminSecondFactor1765400000000];
