/*
 * tern/dump.h — captured frames as tcpdump-style lines (src/app/dump.c),
 * decoded by tern's own wire parsers, and a filter to pick them: what
 * `tern dump` prints for each frame of a pcap file.
 *
 * Lines read as tcpdump 4.99's without the timestamp: "ARP, Request
 * who-has 10.0.0.2 tell 10.0.0.1, length 46", "IP 10.0.0.1 > 10.0.0.2:
 * ICMP echo request, id 7, seq 1, length 64", "IP 10.0.0.1.5000 >
 * 10.0.0.2.80: Flags [S], seq 1234, win 65535, options [mss 1460,...],
 * length 0"; fragments end in "(frag ID:LEN@OFFSET+)".
 */
#ifndef TERN_DUMP_H
#define TERN_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tern_dump_opts {
	bool link;       /* -e: MACs and ethertype first */
	bool verbose;    /* -v: the IPv4 header's fields, on a line of their own */
	bool absolute;   /* -S: absolute TCP sequence numbers */
};

struct tern_dump;
struct tern_dump *tern_dump_create(const struct tern_dump_opts *o);
void tern_dump_destroy(struct tern_dump *d);

/* Keep only the frames the filter matches: words of "[src|dst] host ADDR",
 * "[src|dst] port PORT", "arp", "ip", "icmp", "udp", "tcp", joined by
 * "and" ("&&"), "or" ("||"), "not" ("!"), not binding tightest, then and.
 * nwords 0: every frame. 0, or -1 with why in err (the filter then keeps
 * every frame). */
int tern_dump_set_filter(struct tern_dump *d, int nwords, char **words, char *err,
			 size_t errlen);

/* Decode one Ethernet frame (len bytes, no FCS). *line is its text, valid
 * until the next call; returns whether the filter keeps the frame. Any
 * bytes are safe: what a parser refuses is named by its drop reason. */
bool tern_dump_frame(struct tern_dump *d, const uint8_t *frame, size_t len, const char **line);

#endif
