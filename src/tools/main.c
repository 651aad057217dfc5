/*
 * tools/main.c — the `tern` program: git-style dispatch to one subcommand
 * per file (tools/<name>.c), plus `tern --help`, `tern help CMD` and
 * `tern version`. Each subcommand parses its own options; this file only
 * picks it.
 */
#include <stdio.h>
#include <string.h>

#include "tools/common.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"ping", cmd_ping, "send ICMP echo requests from a tern host (iputils ping)"},
	{"traceroute", cmd_traceroute, "print the route to a host (traceroute)"},
	{"host", cmd_host, "run a tern host or router on TAP devices until stopped"},
	{"ss", cmd_ss, "show running tern programs' sockets (iproute2 ss)"},
	{"nc", cmd_nc, "TCP and UDP from a tern host to stdin and stdout (netcat)"},
	{"http", cmd_http, "serve a directory over HTTP/1.1 from a tern host"},
	{"curl", cmd_curl, "fetch http:// URLs from a tern host (curl)"},
	{"hping", cmd_hping, "send TCP SYNs, or a SYN flood, from a tern host (hping3 -S)"},
	{"iperf", cmd_iperf, "TCP throughput against iperf3 or tern iperf (iperf3's protocol)"},
	{"rr", cmd_rr, "TCP request/response rounds, each request in two writes (tern's own)"},
	{"lab", cmd_lab, "run a virtual internetwork from a topology file (YAML)"},
	{"dump", cmd_dump, "print a pcap capture one line per frame (tcpdump)"},
	{"demo", cmd_demo, "a simulated A-R1-R2-B network built in C: ping, traceroute, nc"},
	{"version", cmd_version, "print tern's version"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tern [--help | --version] COMMAND [ARGS...]\n"
		"\n"
		"tern is a TCP/IP stack that runs in user space, on TAP devices or in its\n"
		"own simulated internetwork. Commands:\n"
		"\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"\n"
		"'tern help COMMAND' or 'tern COMMAND --help' shows a command's options.\n"
		"New here? Try 'tern lab run examples/labs/internet/internet.yaml' (or\n"
		"'./run.sh demo') in tern's source tree, or 'tern demo' anywhere.\n");
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int unknown(const char *name)
{
	fprintf(stderr, "tern: '%s' is not a tern command. See 'tern --help'.\n", name);
	return CLI_EXIT_USAGE;
}

int cmd_version(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("Usage: tern version\n\nPrint tern's version.\n");
		return CLI_EXIT_OK;
	}
	if (argc > 1) {
		fprintf(stderr, "tern version: unexpected argument '%s'\n"
				"Try 'tern version --help' for more information.\n", argv[1]);
		return CLI_EXIT_USAGE;
	}
	printf("tern %s\n", TERN_VERSION_STRING);
	return CLI_EXIT_OK;
}

/* `tern help [CMD]`: the overview, or CMD's own --help. */
static int help(int argc, char **argv)
{
	if (argc < 2) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	const struct command *c = find(argv[1]);
	if (!c)
		return unknown(argv[1]);
	char *args[] = {(char *)c->name, "--help", NULL};
	return c->run(2, args);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(name, "--version") == 0)
		return cmd_version(1, argv + 1);
	if (strcmp(name, "help") == 0)
		return help(argc - 1, argv + 1);
	if (name[0] == '-') {
		fprintf(stderr, "tern: unknown option '%s'\nTry 'tern --help' for more information.\n",
			name);
		return CLI_EXIT_USAGE;
	}
	const struct command *c = find(name);
	if (!c)
		return unknown(name);
	return c->run(argc - 1, argv + 1);
}
