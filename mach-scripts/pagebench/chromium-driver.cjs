// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at https://mozilla.org/MPL/2.0/.

// ./mach bench --page's hands on Chromium (mach-scripts/pagebench_chromium.py
// starts it): one Chromium with the Cross-Origin Storage extension and a
// fresh profile, through playwright-core from the cache
// ($PAGEBENCH_NODE_MODULES).
//
//   node chromium-driver.cjs --executable PATH --extension DIR --profile DIR
//                            --public-suffix-list FILE
//
// It prints "ready" once the extension's service worker runs, then reads one
// JSON line per step from stdin ({"url", "timeout"} in seconds), opens the URL
// in a new tab, waits for the page's "result: " console line (the page has
// posted its result to the bench's server by then), closes the tab and prints
// "done". End of input closes Chromium. Everything else (the pages' console,
// errors) goes to stderr, which the bench keeps in its log.
//
// Why these launch options:
// - Extensions load only in a persistent context, and only when Playwright's
//   default --disable-extensions is dropped and the extension is named by
//   --load-extension and --disable-extensions-except.
// - headless: Chromium 132 and later have only the new headless mode (the old
//   one became chrome-headless-shell), so Playwright's plain `--headless` is
//   the new mode, which runs extensions; checked with Debian's Chromium 156.
//
// The extension fetches the Public Suffix List from the network the first
// time it compares two sites, and this machine has none. So the list from
// Debian's publicsuffix package is put where the extension keeps its
// downloaded copy (chrome.storage.local: pslExact, pslWildcard,
// pslException, pslFetchedAt), dated now so that it is not refreshed.

"use strict";

const fs = require("fs");
const path = require("path");
const readline = require("readline");

const { chromium } = require(path.join(process.env.PAGEBENCH_NODE_MODULES, "playwright-core"));

function options(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith("--") || argv[i + 1] === undefined) {
      throw new Error(`bad arguments: ${argv.join(" ")}`);
    }
    o[argv[i].slice(2)] = argv[i + 1];
  }
  for (const name of ["executable", "extension", "profile", "public-suffix-list"]) {
    if (!o[name]) throw new Error(`--${name} is required`);
  }
  return o;
}

// The Public Suffix List's rules, in the three lists the extension stores.
function suffixRules(text) {
  const rules = { pslExact: [], pslWildcard: [], pslException: [] };
  for (const raw of text.split("\n")) {
    const line = raw.trim().toLowerCase();
    if (!line || line.startsWith("//")) continue;
    if (line.startsWith("!")) rules.pslException.push(line.slice(1));
    else if (line.startsWith("*.")) rules.pslWildcard.push(line.slice(2));
    else rules.pslExact.push(line);
  }
  return rules;
}

async function extensionWorker(context) {
  const isExtension = (w) => w.url().startsWith("chrome-extension://");
  const found = context.serviceWorkers().find(isExtension);
  if (found) return found;
  return context.waitForEvent("serviceworker", { predicate: isExtension, timeout: 60000 });
}

async function runStep(context, step) {
  const page = await context.newPage();
  let settle;
  const settled = new Promise((resolve) => { settle = resolve; });
  page.on("console", (message) => {
    const text = message.text();
    process.stderr.write(`console: ${text}\n`);
    if (text.startsWith("result: ")) settle();
  });
  page.on("pageerror", (error) => process.stderr.write(`page error: ${error}\n`));
  page.on("close", settle);
  const timer = setTimeout(settle, (step.timeout || 600) * 1000);
  try {
    await page.goto(step.url, { waitUntil: "commit" });
    await settled;
  } catch (error) {
    process.stderr.write(`step ${step.url}: ${error}\n`);
  }
  clearTimeout(timer);
  if (!page.isClosed()) await page.close();
}

async function main() {
  const o = options(process.argv.slice(2));
  const extension = path.resolve(o.extension);
  const context = await chromium.launchPersistentContext(o.profile, {
    executablePath: o.executable,
    headless: true,
    ignoreDefaultArgs: ["--disable-extensions"],
    args: [`--disable-extensions-except=${extension}`, `--load-extension=${extension}`],
  });
  const worker = await extensionWorker(context);
  const rules = suffixRules(fs.readFileSync(o["public-suffix-list"], "utf8"));
  await worker.evaluate((lists) => chrome.storage.local.set(lists),
                        { ...rules, pslFetchedAt: Date.now() });
  process.stderr.write(`chromium ${context.browser() ? context.browser().version() : ""}` +
                       ` extension worker ${worker.url()}\n`);
  console.log("ready");
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (!line.trim()) continue;
    await runStep(context, JSON.parse(line));
    console.log("done");
  }
  await context.close();
}

main().catch((error) => {
  process.stderr.write(`chromium-driver: ${error && error.stack || error}\n`);
  console.log(`failed ${error}`);
  process.exit(1);
});
