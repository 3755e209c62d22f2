// Smoke check of a benchmark peer with third-party clients, independent of meerkat's code:
//   A: Strophe.js over WebSocket (RFC 7395), SCRAM-SHA-256 only
//   B: Strophe.js over BOSH (XEP-0206), SCRAM-SHA-256 only
//   C: @xmpp/client over WebSocket, the mechanism it picks (PLAIN: it has no SCRAM-SHA-256)
// A and B exchange messages both ways, C writes to A; ping and disco#info are answered.
// Usage (bench/peers/smoke.sh sets these): PEER=.. WS_URL=.. BOSH_URL=.. DOMAIN=..
//   USER_A=user1 USER_B=user10000 USER_C=user2 node smoke.mjs   (password: pass<i>)
import { XMLHttpRequest } from "../../integration-tests/interop/xhr.mjs";
import { client, xml } from "@xmpp/client";
import WebSocket from "ws";

globalThis.XMLHttpRequest = XMLHttpRequest;
globalThis.WebSocket ??= WebSocket;
const { Strophe, $msg, $iq, $pres } = await import("strophe.js");
Strophe.setLogLevel(Strophe.LogLevel.FATAL);

const env = (k) => process.env[k] || fail(`${k} is not set`);
const PEER = env("PEER");
const WS_URL = env("WS_URL");
const BOSH_URL = env("BOSH_URL");
const DOMAIN = env("DOMAIN");
const [A, B, C] = [env("USER_A"), env("USER_B"), env("USER_C")];
const password = (user) => user.replace(/^user/, "pass");

function fail(msg) {
  console.error(`FAIL (${process.env.PEER}): ${msg}`);
  process.exit(1);
}
function ok(msg) {
  console.log(`ok - ${msg}`);
}
const timer = setTimeout(() => fail("smoke check took longer than 60 s"), 60000);

/** Logs in with Strophe (URL decides WS or BOSH), SCRAM-SHA-256 only. */
function strophe(url, user, pass = password(user)) {
  const conn = new Strophe.Connection(url, { mechanisms: [Strophe.SASLSHA256] });
  conn.offered = [];
  conn.xmlInput = (el) => {
    for (const m of el.getElementsByTagName?.("mechanism") ?? []) conn.offered.push(m.textContent);
  };
  const inbox = [];
  const waiters = [];
  conn.addHandler((m) => {
    if (!m.getElementsByTagName("body").length) return true;
    const w = waiters.shift();
    if (w) w(m);
    else inbox.push(m);
    return true;
  }, null, "message");
  conn.nextMessage = (what) =>
    new Promise((resolve, reject) => {
      if (inbox.length) return resolve(inbox.shift());
      waiters.push(resolve);
      setTimeout(() => reject(new Error(`timeout waiting for ${what}`)), 10000);
    });
  conn.iq = (stanza) => new Promise((resolve, reject) => conn.sendIQ(stanza, resolve, reject, 10000));
  return new Promise((resolve, reject) => {
    conn.connect(`${user}@${DOMAIN}`, pass, (status, condition) => {
      if (status === Strophe.Status.CONNECTED) resolve(conn);
      else if ([Strophe.Status.AUTHFAIL, Strophe.Status.CONNFAIL, Strophe.Status.ERROR].includes(status)) {
        const e = new Error(`${user} at ${url}: Strophe status ${status} ${condition ?? ""}`);
        reject(Object.assign(e, { status }));
      }
    });
  });
}

const body = (m) => m.getElementsByTagName("body")[0]?.textContent;

try {
  // A over WebSocket, B over BOSH, both SCRAM-SHA-256.
  const a = await strophe(WS_URL, A);
  ok(`${A} logged in over WebSocket (${WS_URL}) with ${a._sasl_mechanism?.mechname} as ${a.jid}`);
  const b = await strophe(BOSH_URL, B);
  ok(`${B} logged in over BOSH (${BOSH_URL}) with ${b._sasl_mechanism?.mechname} as ${b.jid}`);
  const offered = [...new Set([...a.offered, ...b.offered])];
  console.log(`   mechanisms offered: ${offered.join(" ")}`);

  for (const [c, who] of [[a, A], [b, B]]) {
    const roster = await c.iq($iq({ type: "get" }).c("query", { xmlns: "jabber:iq:roster" }));
    if (roster.getElementsByTagName("query").length !== 1) fail(`no roster for ${who}`);
    c.send($pres());
  }
  ok("roster get answered, initial presence sent");
  await a.iq($iq({ type: "get", to: DOMAIN }).c("ping", { xmlns: "urn:xmpp:ping" }));
  const info = await b.iq($iq({ type: "get", to: DOMAIN }).c("query", { xmlns: "http://jabber.org/protocol/disco#info" }));
  const features = [...info.getElementsByTagName("feature")].map((f) => f.getAttribute("var"));
  ok(`ping answered; disco#info lists ${features.length} features`);

  // WebSocket -> BOSH (bare JID; delivered on B's held request), then BOSH -> WebSocket.
  const t1 = `ws->bosh ${Date.now()} <&>`;
  a.send($msg({ to: `${B}@${DOMAIN}`, type: "chat" }).c("body").t(t1));
  const m1 = await b.nextMessage("A's message over BOSH");
  if (body(m1) !== t1) fail(`BOSH user got "${body(m1)}", expected "${t1}"`);
  if (m1.getAttribute("from") !== a.jid) fail(`from ${m1.getAttribute("from")}, expected ${a.jid}`);
  ok(`${B} (BOSH) received ${A}'s message (WebSocket)`);
  const t2 = `bosh->ws ${Date.now()}`;
  b.send($msg({ to: a.jid, type: "chat" }).c("body").t(t2));
  const m2 = await a.nextMessage("B's message over WebSocket");
  if (body(m2) !== t2) fail(`WebSocket user got "${body(m2)}", expected "${t2}"`);
  ok(`${A} (WebSocket) received ${B}'s reply (BOSH)`);

  // C with @xmpp/client over WebSocket: another RFC 7395 implementation, another mechanism.
  let mechanism = "?";
  const c = client({ service: WS_URL, domain: DOMAIN, username: C, password: password(C), resource: "smoke" });
  c.on("error", () => {});
  c.on("send", (el) => {
    if (el.name === "auth") mechanism = el.attrs.mechanism;
  });
  await c.start();
  ok(`${C} logged in over WebSocket with @xmpp/client (${mechanism}) as ${c.jid}`);
  const t3 = `xmpp.js ${Date.now()}`;
  await c.send(xml("message", { to: a.jid, type: "chat" }, xml("body", {}, t3)));
  const m3 = await a.nextMessage("C's message");
  if (body(m3) !== t3) fail(`got "${body(m3)}", expected "${t3}"`);
  ok(`${A} received ${C}'s message`);

  // A wrong password must be refused.
  const refused = await strophe(WS_URL, A, "wrong-password").then(
    (conn) => (conn.disconnect(), false),
    (e) => e.status === Strophe.Status.AUTHFAIL || e.message,
  );
  if (refused !== true) fail(`wrong password for ${A} was not refused: ${refused}`);
  ok(`wrong password for ${A} refused (SASL failure)`);

  await c.stop();
  a.disconnect("smoke done");
  b.disconnect("smoke done");
  clearTimeout(timer);
  console.log(`smoke ${PEER}: all checks passed`);
  setTimeout(() => process.exit(0), 200);
} catch (e) {
  fail(e.stack || String(e));
}
