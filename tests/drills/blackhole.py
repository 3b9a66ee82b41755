#!/usr/bin/env python3
"""blackhole.py: a TCP server that accepts every connection and never answers (a hung provider).

Usage: blackhole.py --port N --count-file F   (F holds the number of connections accepted)
"""
import argparse
import os
import socket

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--count-file", required=True)
a = ap.parse_args()
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", a.port))
s.listen(128)
held = []
n = 0


def write(n):
    with open(a.count_file + ".tmp", "w") as f:
        f.write("%d\n" % n)
    os.rename(a.count_file + ".tmp", a.count_file)


write(0)
while True:
    c, _ = s.accept()
    held.append(c)  # never read, never answered, never closed
    n += 1
    write(n)
