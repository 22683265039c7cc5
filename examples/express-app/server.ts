import { randomBytes } from "node:crypto";
import { exampleApp } from "./app.js";

/** `npm run example`: the example app on PORT (4000), configured from the environment (README.md beside this file). */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name} (see examples/express-app/README.md)`);
  return value;
}

const port = Number(process.env.PORT ?? 4000);
const appUrl = process.env.APP_URL ?? `http://localhost:${port}`;
const { app } = await exampleApp({
  appUrl,
  rollcallUrl: process.env.ROLLCALL_URL ?? "http://localhost:3000",
  clientId: required("CLIENT_ID"),
  clientSecret: required("CLIENT_SECRET"),
  webhookSecret: required("WEBHOOK_SECRET"),
  apiToken: process.env.ROLLCALL_API_TOKEN,
  // A new one at each start signs everyone out; set SESSION_SECRET to keep sessions across restarts.
  sessionSecret: process.env.SESSION_SECRET ?? randomBytes(32).toString("hex"),
});
app.listen(port, () => console.log(`example app on ${appUrl}`));
