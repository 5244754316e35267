#!/usr/bin/env bash
# Prints a TCP port on 127.0.0.1 that nothing listens on right now, from 20000-31999: below
# Linux's ephemeral range (32768-60999), so no outgoing connection of this machine can take it as
# its local port between this probe and the server's bind, nor while that server is down for a
# restart on the same port. A random start, then every port in turn (two callers rarely probe the
# same one). server/tests/crash/ports.rs picks the same way for the crash and HA tiers.
exec python3 - <<'PY'
import random, socket, sys

FIRST, COUNT = 20000, 12000
start = random.randrange(COUNT)
for i in range(COUNT):
    port = FIRST + (start + i) % COUNT
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    sys.exit(0)
sys.exit(f"no free port in {FIRST}-{FIRST + COUNT - 1}")
PY
