import { existsSync } from "node:fs";
import { AxeBuilder } from "@axe-core/playwright";
import { Browser, chromium, Page } from "playwright-core";

/** Debian's Chromium (apt install chromium): playwright-core drives it; no browser is downloaded. */
export const CHROMIUM = process.env.ROLLCALL_CHROMIUM ?? "/usr/bin/chromium";

/**
 * Why browser tests cannot run here, or undefined when they can. CI installs Chromium and sets
 * ROLLCALL_REQUIRE_BROWSER=1, so a missing browser fails the run there instead of skipping.
 */
export function browserSkip(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const why = `Chromium not found at ${CHROMIUM}: install it with \`apt-get install chromium\` (or set ROLLCALL_CHROMIUM)`;
  if (process.env.ROLLCALL_REQUIRE_BROWSER === "1") throw new Error(why);
  return why;
}

/**
 * Headless, sandbox off (CI runs as root), and no background traffic: this machine's network is closed.
 * `resolveToLoopback` host names resolve to 127.0.0.1, so that a page can be served under a name the browser does not
 * treat as a secure context the way it treats localhost and 127.0.0.1.
 */
export function launchBrowser(options: { resolveToLoopback?: string[] } = {}): Promise<Browser> {
  const hostRules = (options.resolveToLoopback ?? []).map((host) => `MAP ${host} 127.0.0.1`).join(",");
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", ...(hostRules ? [`--host-resolver-rules=${hostRules}`] : [])],
  });
}

/**
 * axe-core over `page` with every rule, run in the page itself (axe.run: AxeBuilder's legacy mode). The default mode
 * runs axe.runPartial in each frame and then axe.finishRun in a new blank page of the context, which costs seconds a
 * page on this machine; its one gain, checking cross-origin frames, does not apply: no page of the app has a frame.
 * Both modes gave the same violations, passes, incomplete and inapplicable rules, node for node, on every page of
 * test/web/console-accessibility.test.ts when compared.
 */
export function axe(page: Page) {
  return new AxeBuilder({ page }).setLegacyMode().analyze();
}
