// Shared helpers for the interop tests: a WebSocket for Node 20, connection and waiting.
import { client, xml } from "@xmpp/client";
import WebSocket from "ws";

globalThis.WebSocket ??= WebSocket;

export { xml };

export const DOMAIN = "localhost";

export function fail(msg) {
  console.error(`FAIL: ${msg}`);
  process.exit(1);
}

export function check(cond, msg) {
  if (!cond) fail(msg);
  console.log(`ok - ${msg}`);
}

/** Connects over WebSocket and resolves once online (SASL + bind done). */
export async function connectWs(url, user, resource) {
  const c = client({ service: url, domain: DOMAIN, username: user, password: `${user}-pw`, resource });
  c.on("error", (e) => console.error(`${user}: ${e.message}`));
  const stanzas = [];
  const waiters = [];
  c.on("stanza", (s) => {
    const i = waiters.findIndex((w) => w.pred(s));
    if (i >= 0) waiters.splice(i, 1)[0].resolve(s);
    else stanzas.push(s);
  });
  /** Resolves with the first stanza (already received or coming) matching pred. */
  c.waitFor = (pred, what, ms = 5000) => {
    const i = stanzas.findIndex(pred);
    if (i >= 0) return Promise.resolve(stanzas.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      waiters.push(w);
      setTimeout(() => reject(new Error(`timeout waiting for ${what}`)), ms);
    });
  };
  await c.start();
  return c;
}
