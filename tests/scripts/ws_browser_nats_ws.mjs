// The browser scenario of tests/tests/ws_browser_nats_ws.rs: headless Chromium (driven by
// puppeteer-core) loads a page from a loopback HTTP server started here; the page imports the
// nats.ws client and, over ws://127.0.0.1:WS_PORT, answers requests on "browser.service",
// asks "rust.service" (answered by the Rust test's async-nats client), publishes
// "browser.hello" and receives one message on "browser.inbox" sent by the Rust side after it
// saw the hello. Prints the page's result as one JSON line; every step is bounded.
//
// usage: node ws_browser_nats_ws.mjs CHROMIUM NODE_MODULES WS_PORT HTTP_PORT
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { createRequire } from "node:module";

const [chromium, modules, wsPort, httpPort] = process.argv.slice(2);
const SCENARIO_MS = 30000;
setTimeout(() => {
  console.error("browser scenario timed out");
  process.exit(2);
}, SCENARIO_MS).unref();

const require = createRequire(path.join(modules, "resolve.js"));
const puppeteer = require("puppeteer-core");
const natsJs = fs.readFileSync(path.join(modules, "nats.ws", "esm", "nats.js"));

const page = `<!doctype html><html><body><script type="module">
import { connect, StringCodec } from "/nats.js";
const sc = StringCodec();
async function scenario() {
  const nc = await connect({ servers: "ws://127.0.0.1:${wsPort}", name: "browser" });
  nc.subscribe("browser.service", {
    callback: (err, m) => { if (!err) m.respond(sc.encode("browser:" + sc.decode(m.data))); },
  });
  const inbox = nc.subscribe("browser.inbox", { max: 1 });
  await nc.flush();
  const answer = await nc.request("rust.service", sc.encode("ping"), { timeout: 5000 });
  nc.publish("browser.hello", sc.encode("hello from the browser"));
  let pushed = null;
  for await (const m of inbox) { pushed = sc.decode(m.data); }
  // Stay a little for the Rust side's request to the browser service, then leave cleanly.
  await new Promise((resolve) => setTimeout(resolve, 500));
  await nc.drain();
  return { answer: sc.decode(answer.data), pushed, origin: location.origin };
}
window.result = scenario().catch((error) => ({ error: String(error) }));
</script></body></html>`;

const server = http.createServer((request, response) => {
  if (request.url === "/nats.js") {
    response.writeHead(200, { "content-type": "application/javascript" });
    response.end(natsJs);
  } else {
    response.writeHead(200, { "content-type": "text/html" });
    response.end(page);
  }
});
await new Promise((resolve) => server.listen(Number(httpPort), "127.0.0.1", resolve));

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
});
try {
  const tab = await browser.newPage();
  tab.on("console", (message) => console.error("page:", message.text()));
  await tab.goto(`http://127.0.0.1:${httpPort}/`, { timeout: 10000 });
  await tab.waitForFunction("window.result !== undefined", { timeout: 10000 });
  const result = await tab.evaluate("window.result");
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
  server.close();
}
