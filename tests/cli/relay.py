#!/usr/bin/env python3
"""relay.py TARGET_PORT MODE - a one-connection TCP relay on 127.0.0.1 for the opencredssp
loopback tests. It prints its own port, accepts one client, connects to TARGET_PORT and
forwards both directions:
  trickle  - in 1..3-byte pieces, each sent separately (TCP_NODELAY, a short pause between),
             so that a reader sees tokens arrive in fragments: the package must answer
             SEC_E_INCOMPLETE_MESSAGE and the caller must append and call again.
  whole    - unchanged (control).
"""
import random
import select
import socket
import sys
import time

target_port, mode = int(sys.argv[1]), sys.argv[2]
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.bind(("127.0.0.1", 0))
listener.listen(1)
print(listener.getsockname()[1], flush=True)
listener.settimeout(30)
client, _ = listener.accept()
server = socket.create_connection(("127.0.0.1", target_port), timeout=30)
for s in (client, server):
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
peer = {client: server, server: client}
rng = random.Random(5)
pieces = 0
deadline = time.time() + 60
while time.time() < deadline:
    ready, _, _ = select.select([client, server], [], [], 1.0)
    done = False
    for s in ready:
        data = s.recv(65536)
        if not data:
            done = True
            break
        if mode == "trickle":
            i = 0
            while i < len(data):
                n = rng.randint(1, 3)
                peer[s].sendall(data[i:i + n])
                pieces += 1
                i += n
                time.sleep(0.0005)
        else:
            peer[s].sendall(data)
            pieces += 1
    if done:
        break
print(f"relay: forwarded {pieces} pieces", file=sys.stderr, flush=True)
for s in (client, server):
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()
