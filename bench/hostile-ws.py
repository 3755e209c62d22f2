#!/usr/bin/env python3
"""Peak RSS of a meerkat server for hostile WebSocket input (run by hand).

usage: bench/hostile-ws.py <meerkat-binary> <config> <scenario>
scenarios: dense4m (a 4 MiB frame of <a/> after <open/>, before auth),
           huge-header (a frame declaring 1 GiB, then 256 MiB of payload streamed).
Prints VmHWM before and after, in KiB."""
import os, socket, struct, subprocess, sys, time, base64, tempfile

def rss(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key):
            return int(line.split()[1])

def frame(payload, opcode=1, fin=True, declared=None):
    n = len(payload) if declared is None else declared
    b0 = (0x80 if fin else 0) | opcode
    if n < 126: hdr = struct.pack("!BB", b0, 0x80 | n)
    elif n < 65536: hdr = struct.pack("!BBH", b0, 0x80 | 126, n)
    else: hdr = struct.pack("!BBQ", b0, 0x80 | 127, n)
    return hdr + b"\0\0\0\0" + payload  # zero mask: payload sent as is

def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /ws-xmpp HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Protocol: xmpp\r\n\r\n" % key).encode())
    resp = b""
    while b"\r\n\r\n" not in resp:
        resp += s.recv(4096)
    assert b" 101 " in resp, resp
    return s

def main():
    binary, config, scenario = sys.argv[1:4]
    data = tempfile.mkdtemp()
    subprocess.run([binary, "account", "add", "--config", config, "--data-dir", data,
                    "--password", "pw", "alice@localhost"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    p = subprocess.Popen([binary, "--config", config, "--data-dir", data, "run"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", 5299)).close(); break
            except OSError: time.sleep(0.1)
        time.sleep(0.5)
        base = rss(p.pid, "VmHWM")
        s = connect(5299)
        s.sendall(frame(b"<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>"))
        time.sleep(0.3)
        s.settimeout(0.2)
        try:
            s.recv(65536)
        except socket.timeout:
            pass
        if scenario.endswith("-bound"):
            s.sendall(frame(b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
                            + base64.b64encode(b"\0alice\0pw") + b"</auth>"))
            time.sleep(0.5)
            s.sendall(frame(b"<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>"))
            time.sleep(0.3)
            s.sendall(frame(b"<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>"))
            time.sleep(0.5)
            try:
                got = s.recv(65536)
                assert b"<jid>" in got, got
            except socket.timeout:
                raise SystemExit("no bind result")
            scenario = scenario[:-len("-bound")]
            base = rss(p.pid, "VmHWM")
        s.settimeout(None)
        try:
            if scenario == "dense4m":
                body = b"<a/>" * (1 << 20)
                s.sendall(frame(b"<r>" + body + b"</r>"))
            elif scenario == "huge-header":
                s.sendall(frame(b"", declared=1 << 30))
                chunk = b"x" * (1 << 20)
                for _ in range(256):
                    s.sendall(chunk)
        except OSError as e:
            print("send stopped:", e)
        time.sleep(3)
        s.settimeout(1)
        got = b""
        try:
            while True:
                d = s.recv(65536)
                if not d: break
                got += d
        except (socket.timeout, OSError):
            pass
        peak = rss(p.pid, "VmHWM")
        print(f"{sys.argv[3]}: VmHWM before {base} KiB, after {peak} KiB, delta {peak-base} KiB; "
              f"server replied {got[:300]!r}")
    finally:
        p.terminate(); p.wait()

main()
