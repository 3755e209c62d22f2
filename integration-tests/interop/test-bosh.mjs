// Strophe.js over BOSH against meerkat, chatting with an @xmpp/client user over
// WebSocket: login, roster, and messages both ways.
// Usage: MEERKAT_BOSH_URL=http://.../http-bind MEERKAT_WS_URL=ws://.../ws-xmpp node test-bosh.mjs
import { XMLHttpRequest } from "./xhr.mjs";
import { DOMAIN, check, connectWs, fail, xml } from "./lib.mjs";

globalThis.XMLHttpRequest = XMLHttpRequest;
const { Strophe, $msg, $iq, $pres } = await import("strophe.js");
Strophe.setLogLevel(Strophe.LogLevel.WARN);

const boshUrl = process.env.MEERKAT_BOSH_URL || fail("MEERKAT_BOSH_URL is not set");
const wsUrl = process.env.MEERKAT_WS_URL || fail("MEERKAT_WS_URL is not set");
const timer = setTimeout(() => fail("BOSH interop test took longer than 60 s"), 60000);

function stropheConnect(user) {
  const conn = new Strophe.Connection(boshUrl);
  const received = [];
  const waiters = [];
  conn.addHandler((m) => {
    const w = waiters.shift();
    if (w) w(m);
    else received.push(m);
    return true;
  }, null, "message", "chat");
  conn.nextMessage = () =>
    new Promise((resolve, reject) => {
      if (received.length) return resolve(received.shift());
      waiters.push(resolve);
      setTimeout(() => reject(new Error("timeout waiting for a message over BOSH")), 10000);
    });
  return new Promise((resolve, reject) => {
    conn.connect(`${user}@${DOMAIN}`, `${user}-pw`, (status, condition) => {
      if (status === Strophe.Status.CONNECTED) resolve(conn);
      else if (status === Strophe.Status.AUTHFAIL || status === Strophe.Status.CONNFAIL) {
        reject(new Error(`Strophe status ${status} ${condition ?? ""}`));
      }
    });
  });
}

try {
  const carol = await stropheConnect("carol");
  check(carol.authenticated, `Strophe logged in over BOSH as ${carol.jid}`);
  check(carol.jid.startsWith(`carol@${DOMAIN}/`), "bound a resource");

  const roster = await new Promise((resolve, reject) =>
    carol.sendIQ($iq({ type: "get" }).c("query", { xmlns: "jabber:iq:roster" }), resolve, reject, 5000),
  );
  check(roster.getElementsByTagName("query").length === 1, "roster query answered over BOSH");
  carol.send($pres());

  const alice = await connectWs(wsUrl, "alice", "ws");
  await alice.send(xml("presence"));

  // BOSH -> WebSocket.
  carol.send($msg({ to: `alice@${DOMAIN}`, type: "chat" }).c("body").t("from Strophe <3"));
  const m1 = await alice.waitFor((s) => s.is("message") && s.getChildText("body"), "Strophe's message");
  check(m1.getChildText("body") === "from Strophe <3", "WebSocket user receives the BOSH user's message");
  check(m1.attrs.from === carol.jid, "with the BOSH user's full JID");

  // WebSocket -> BOSH (delivered on a held long-poll request).
  await alice.send(xml("message", { to: carol.jid, type: "chat" }, xml("body", {}, "from @xmpp/client & friends")));
  const m2 = await carol.nextMessage();
  const body = m2.getElementsByTagName("body")[0]?.textContent;
  check(body === "from @xmpp/client & friends", "BOSH user receives the WebSocket user's message");

  carol.disconnect("done");
  await alice.stop();
  clearTimeout(timer);
  console.log("interop over BOSH: all checks passed");
  process.exit(0);
} catch (e) {
  fail(e.stack || String(e));
}
