/*
 * tools/dump.c — `tern dump FILE.pcap`: one line per frame in tcpdump's
 * style. The decoding and the filter are app/dump.c's (tern/dump.h): tern's
 * own wire parsers on Ethernet, ARP, IPv4 with fragments, ICMP, UDP and
 * TCP. The file is read here, record by record, with every length checked: a
 * file that is not a pcap, or ends inside a record, is reported after the
 * frames before it were printed. Frames the parsers refuse are printed as
 * what could be read and the parser's drop reason.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tern/dump.h"
#include "tools/common.h"

#define CMD "dump"
#define DUMP_MAX_FRAME 262144

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tern dump [-n] [-e] [-v] [-S] [-c COUNT] FILE.pcap [FILTER]\n"
		"\n"
		"Print the frames of a capture (such as those `tern lab run` writes) one\n"
		"line each, as tcpdump does, decoded by tern's own parsers: Ethernet, ARP,\n"
		"IPv4 (fragments as (frag ID:LEN@OFFSET+)), ICMP, UDP, TCP.\n"
		"\n"
		"Options:\n"
		"  -n           numeric addresses and ports (tern has no resolver: always)\n"
		"  -e           the link-level header too: MACs and ethertype\n"
		"  -v           IPv4 header fields: tos, ttl, id, offset, flags, length\n"
		"  -S           absolute TCP sequence numbers (default: relative to the\n"
		"               connection's first)\n"
		"  -c COUNT     stop after COUNT frames that pass the filter\n"
		"  -h, --help   show this help\n"
		"\n"
		"FILTER (the words after FILE) keeps the frames it matches:\n"
		"  [src|dst] host ADDR    [src|dst] port PORT    arp  ip  icmp  udp  tcp\n"
		"joined with and, or, not (also &&, ||, !); not binds tightest, then and.\n"
		"\n"
		"Example:\n"
		"  tern dump -c 5 internet.out/bb1-eth1.pcap icmp and host 203.0.113.10\n");
}

/* ---- the file --------------------------------------------------------------------- */

static uint32_t rd32_order(const uint8_t *p, bool swap)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		     (uint32_t)p[3] << 24;
	return swap ? __builtin_bswap32(v) : v;
}

static int dump_file(struct tern_dump *d, const char *path, long count)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		cli_error(CMD, "%s: %s", path, strerror(errno));
		return CLI_EXIT_FAIL;
	}
	uint8_t gh[24];
	if (fread(gh, 1, sizeof(gh), f) != sizeof(gh)) {
		cli_error(CMD, "%s: not a pcap file (shorter than its header)", path);
		fclose(f);
		return CLI_EXIT_FAIL;
	}
	uint32_t magic = rd32_order(gh, false);
	bool swap = false, nanos;
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) {
		nanos = magic == 0xa1b23c4d;
	} else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
		swap = true;
		nanos = magic == 0x4d3cb2a1;
	} else {
		cli_error(CMD, "%s: not a pcap file (magic 0x%08x)", path, magic);
		fclose(f);
		return CLI_EXIT_FAIL;
	}
	uint32_t linktype = rd32_order(gh + 20, swap);
	if (linktype != 1) {
		cli_error(CMD, "%s: link type %u; tern dump reads Ethernet (1) only", path, linktype);
		fclose(f);
		return CLI_EXIT_FAIL;
	}
	uint8_t *buf = malloc(DUMP_MAX_FRAME);
	if (!buf) {
		cli_error(CMD, "out of memory");
		fclose(f);
		return CLI_EXIT_FAIL;
	}
	int status = CLI_EXIT_OK;
	unsigned long frame = 0;
	long shown = 0;
	uint8_t rh[16];
	size_t got;
	while (count < 0 || shown < count) {
		got = fread(rh, 1, sizeof(rh), f);
		if (got == 0)
			break;
		frame++;
		uint32_t sec = rd32_order(rh, swap), frac = rd32_order(rh + 4, swap);
		uint32_t caplen = rd32_order(rh + 8, swap);
		if (got != sizeof(rh) || caplen > DUMP_MAX_FRAME ||
		    fread(buf, 1, caplen, f) != caplen || frac >= (nanos ? 1000000000u : 1000000u)) {
			fflush(stdout);
			cli_error(CMD, "%s: frame %lu is %s", path, frame,
				  got != sizeof(rh) || !(caplen > DUMP_MAX_FRAME) ? "truncated"
										: "too long");
			status = CLI_EXIT_FAIL;
			break;
		}
		const char *line;
		if (!tern_dump_frame(d, buf, caplen, &line))
			continue;
		uint32_t us = nanos ? frac / 1000 : frac;
		printf("%02u:%02u:%02u.%06u %s\n", sec / 3600 % 24, sec / 60 % 60, sec % 60, us,
		       line);
		shown++;
	}
	free(buf);
	fclose(f);
	return status;
}

int cmd_dump(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct tern_dump_opts o = {0};
	long count = -1;
	unsigned long v;
	int c;
	opterr = 0;
	optind = 0;
	/* '+': options stop at FILE, so a filter's words stay operands */
	while ((c = getopt_long(argc, argv, "+:hnevSc:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case 'n': break;
		case 'e': o.link = true; break;
		case 'v': o.verbose = true; break;
		case 'S': o.absolute = true; break;
		case 'c':
			if (cli_parse_uint(CMD, "-c", optarg, 1, 0x7fffffffUL, &v) < 0)
				return CLI_EXIT_USAGE;
			count = (long)v;
			break;
		default:
			return cli_bad_option(CMD, c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error(CMD, "missing FILE.pcap");
	struct tern_dump *d = tern_dump_create(&o);
	if (!d) {
		cli_error(CMD, "out of memory");
		return CLI_EXIT_FAIL;
	}
	char err[256];
	int rc;
	if (tern_dump_set_filter(d, argc - optind - 1, argv + optind + 1, err, sizeof(err)) < 0)
		rc = cli_usage_error(CMD, "%s", err);
	else
		rc = dump_file(d, argv[optind], count);
	tern_dump_destroy(d);
	return rc;
}
