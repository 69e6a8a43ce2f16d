#!/usr/bin/env python3
"""Opens URL in headless Chromium, waits, evaluates a JavaScript expression in the page and
prints its JSON value. Drives the browser over the DevTools protocol with the standard library
only (a minimal WebSocket client), so the UI tests need nothing from PyPI.

usage: browser-eval.py URL EXPRESSION [SECONDS]
"""
import base64, json, os, socket, struct, subprocess, sys, tempfile, time, urllib.request

url, expression = sys.argv[1], sys.argv[2]
wait = float(sys.argv[3]) if len(sys.argv) > 3 else 5
port = 9229
profile = tempfile.mkdtemp(prefix="whisker-ui-")
browser = subprocess.Popen(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", f"--remote-debugging-port={port}",
                            f"--user-data-dir={profile}", url], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    target = None
    for _ in range(600):  # the browser may take a while to start on a busy machine
        try:
            pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=1))
            target = next((p for p in pages if p.get("type") == "page"), None)
            if target:
                break
        except OSError:
            pass
        time.sleep(0.1)
    if not target:
        sys.exit("no page in the browser")
    time.sleep(wait)
    path = target["webSocketDebuggerUrl"].split(f":{port}", 1)[1]
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    message = json.dumps({"id": 1, "method": "Runtime.evaluate",
                          "params": {"expression": f"JSON.stringify({expression})", "returnByValue": True}}).encode()
    mask = os.urandom(4)
    frame = bytes([0x81]) + (bytes([0x80 | len(message)]) if len(message) < 126 else bytes([0x80 | 126]) + struct.pack(">H", len(message)))
    s.sendall(frame + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(message)))

    def read(n):
        data = b""
        while len(data) < n:
            chunk = s.recv(n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    while True:
        b0, b1 = read(2)
        length = b1 & 0x7F
        if length == 126:
            length = struct.unpack(">H", read(2))[0]
        elif length == 127:
            length = struct.unpack(">Q", read(8))[0]
        payload = json.loads(read(length))
        if payload.get("id") == 1:
            result = payload.get("result", {}).get("result", {})
            print(result.get("value", "null"))
            break
finally:
    browser.kill()
    browser.wait()
