// @xmpp/client over WebSocket against meerkat: SCRAM login, bind, roster,
// presence, two users chatting, the message archive queried page by page (XEP-0313
// with RSM), and a message to an offline user delivered at its next login. Usage: MEERKAT_WS_URL=ws://127.0.0.1:PORT/ws-xmpp node test-ws.mjs
import { DOMAIN, check, connectWs, fail, xml } from "./lib.mjs";

const url = process.env.MEERKAT_WS_URL || fail("MEERKAT_WS_URL is not set");
const timer = setTimeout(() => fail("interop test took longer than 60 s"), 60000);

const isMessageFrom = (jid) => (s) => s.is("message") && s.attrs.from?.startsWith(jid) && s.getChildText("body");

try {
  const alice = await connectWs(url, "alice", "interop");
  check(alice.jid?.toString() === `alice@${DOMAIN}/interop`, `alice bound as ${alice.jid}`);
  const bob = await connectWs(url, "bob", "interop");
  check(bob.jid?.toString().startsWith(`bob@${DOMAIN}/`), `bob bound as ${bob.jid}`);

  // Roster: add bob, read it back.
  await alice.iqCaller.set(xml("query", { xmlns: "jabber:iq:roster" }, xml("item", { jid: `bob@${DOMAIN}`, name: "Bob" })));
  const roster = await alice.iqCaller.get(xml("query", { xmlns: "jabber:iq:roster" }));
  const item = roster.getChildren("item").find((i) => i.attrs.jid === `bob@${DOMAIN}`);
  check(item && item.attrs.name === "Bob", "roster set and get round-trip");

  // Both go online, then alice subscribes to bob and bob approves.
  await alice.send(xml("presence"));
  await bob.send(xml("presence"));
  await alice.send(xml("presence", { to: `bob@${DOMAIN}`, type: "subscribe" }));
  await bob.waitFor((s) => s.is("presence") && s.attrs.type === "subscribe", "bob gets alice's request");
  await bob.send(xml("presence", { to: `alice@${DOMAIN}`, type: "subscribed" }));
  await alice.waitFor((s) => s.is("presence") && s.attrs.type === "subscribed", "alice gets the approval");
  const p = await alice.waitFor((s) => s.is("presence") && s.attrs.from === bob.jid.toString() && !s.attrs.type, "bob's presence");
  check(p, "alice sees bob available");

  // Chat both ways, with characters that need escaping.
  const text = `hello <bob> & "friends" ${Date.now()}`;
  await alice.send(xml("message", { to: `bob@${DOMAIN}`, type: "chat" }, xml("body", {}, text)));
  const m1 = await bob.waitFor(isMessageFrom(`alice@${DOMAIN}`), "alice's message");
  check(m1.getChildText("body") === text, "bob receives alice's message intact");
  await bob.send(xml("message", { to: alice.jid.toString(), type: "chat" }, xml("body", {}, "hi alice")));
  const m2 = await alice.waitFor(isMessageFrom(`bob@${DOMAIN}`), "bob's reply");
  check(m2.getChildText("body") === "hi alice", "alice receives bob's reply");

  // The archive (XEP-0313): alice pages through it one message at a time, oldest first,
  // and the ids match the stanza-id bob's copy carried.
  const MAM = "urn:xmpp:mam:2";
  const RSM = "http://jabber.org/protocol/rsm";
  const page = async (qid, rsm) => {
    const iq = await alice.iqCaller.request(
      xml("iq", { type: "set" }, xml("query", { xmlns: MAM, queryid: qid }, xml("set", { xmlns: RSM }, ...rsm))),
    );
    const fin = iq.getChild("fin", MAM);
    const results = [];
    for (;;) {
      const i = results.length;
      const m = await alice
        .waitFor((s) => s.is("message") && s.getChild("result", MAM)?.attrs.queryid === qid, `result ${i} of ${qid}`, 500)
        .catch(() => null);
      if (!m) break;
      results.push(m.getChild("result", MAM));
    }
    return { fin, results };
  };
  const bodyOf = (r) => r.getChild("forwarded", "urn:xmpp:forward:0").getChild("message").getChildText("body");
  const first = await page("p1", [xml("max", {}, "1")]);
  check(first.results.length === 1 && bodyOf(first.results[0]) === text, "first archive page holds alice's message");
  check(first.fin.getChild("set", RSM).getChildText("count") === "2", "the archive counts two messages");
  check(first.fin.attrs.complete !== "true", "the first page is not the last");
  check(first.fin.getChild("set", RSM).getChildText("first") === first.results[0].attrs.id, "RSM first is the result's archive id");
  const last = first.fin.getChild("set", RSM).getChildText("last");
  const second = await page("p2", [xml("max", {}, "1"), xml("after", {}, last)]);
  check(second.results.length === 1 && bodyOf(second.results[0]) === "hi alice", "second page holds bob's reply");
  check(second.fin.attrs.complete === "true", "the second page completes the archive");
  check(m1.getChild("stanza-id", "urn:xmpp:sid:0")?.attrs.by === `bob@${DOMAIN}`, "bob's copy carries its archive id");

  // Offline delivery: bob leaves, alice writes, bob comes back.
  await bob.stop();
  const offline = await alice.waitFor((s) => s.is("presence") && s.attrs.type === "unavailable", "bob unavailable");
  check(offline.attrs.from?.startsWith(`bob@${DOMAIN}`), "alice sees bob go offline");
  await alice.send(xml("message", { to: `bob@${DOMAIN}`, type: "chat" }, xml("body", {}, "while you were away")));
  await alice.iqCaller.get(xml("ping", { xmlns: "urn:xmpp:ping" }), DOMAIN); // flush
  const bob2 = await connectWs(url, "bob", "again");
  await bob2.send(xml("presence"));
  const m3 = await bob2.waitFor(isMessageFrom(`alice@${DOMAIN}`), "offline message");
  check(m3.getChildText("body") === "while you were away", "offline message delivered at next login");
  check(m3.getChild("delay", "urn:xmpp:delay"), "offline message carries a delay stamp");

  await alice.stop();
  await bob2.stop();
  clearTimeout(timer);
  console.log("interop over WebSocket: all checks passed");
  process.exit(0);
} catch (e) {
  fail(e.stack || String(e));
}
