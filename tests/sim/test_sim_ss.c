/*
 * tests/sim/test_sim_ss.c — tern_ss_print (tern/apps.h) on simulated
 * hosts: the ss table of each host, byte for byte. Two hosts on a 1 ms
 * link; B has a UDP "echo" socket on *:7 and one on 10.0.0.2:5353, A a
 * socket 10.0.0.1:40000 connected to 10.0.0.2:7 that has sent B one
 * 5-byte datagram, still queued there. (tests/interop/test_udp_ss.sh
 * checks the same layout against Linux ss.)
 */
#define _GNU_SOURCE /* getservbyport */
#include "harness.h"
#include "sim_pair.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>

#include "tern/apps.h"
#include "tern/socket.h"

struct net {
	struct tern_sim *sim;
	struct tern_stack *a, *b;
	int echo, mdns, client;
};

static int udp_socket(struct tern_stack *s, tern_ip4_t addr, uint16_t port, const char *owner)
{
	int sd = tern_socket(s, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	struct tern_sockaddr_in sa = {addr, port};
	if (sd < 0 || tern_bind(s, sd, &sa) < 0)
		return -1;
	if (owner)
		tern_socket_set_owner(s, sd, owner);
	return sd;
}

static bool net_up(struct net *n)
{
	n->sim = sim_pair(11, &n->a, &n->b);
	if (!n->sim)
		return false;
	n->echo = udp_socket(n->b, 0, 7, "echo");
	n->mdns = udp_socket(n->b, TERN_IP4(10, 0, 0, 2), 5353, NULL);
	n->client = udp_socket(n->a, TERN_IP4(10, 0, 0, 1), 40000, "client");
	struct tern_sockaddr_in to = {TERN_IP4(10, 0, 0, 2), 7};
	if (n->echo < 0 || n->mdns < 0 || n->client < 0 ||
	    tern_connect(n->a, n->client, &to) < 0 || tern_send(n->a, n->client, "hello", 5, 0) != 5)
		return false;
	tern_sim_run_for(n->sim, TERN_MSEC(100));
	return true;
}

/* What tern_ss_print wrote, as a string to free. */
static char *ss(struct tern_stack *s, const struct tern_ss_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	int rc = tern_ss_print(s, o, f);
	fclose(f);
	if (rc < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

#define CHECK_SS(stack, opts, want)                     \
	do {                                            \
		char *got_ = ss((stack), (opts));       \
		CHECK(got_ != NULL);                    \
		if (got_)                               \
			CHECK_STR(got_, (want));        \
		free(got_);                             \
	} while (0)

TEST(ss_udp_all_numeric)
{
	struct net n;
	REQUIRE(net_up(&n));
	struct tern_ss_opts o = {.udp = true, .select = TERN_SS_ALL, .numeric = true};
	/* B holds the 5-byte datagram: Recv-Q is the bytes charged to the
	 * buffer, as the socket reports them. */
	struct tern_sock_info si;
	REQUIRE_EQ(tern_socket_info(n.b, n.echo, &si), 0);
	REQUIRE_EQ(si.rx_datagrams, 1);
	char want[512];
	snprintf(want, sizeof(want),
		 "State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\n"
		 "UNCONN %-6u 0            0.0.0.0:7         0.0.0.0:*          \n"
		 "UNCONN 0      0           10.0.0.2:5353      0.0.0.0:*          \n",
		 si.rx_queue);
	CHECK_SS(n.b, &o, want);
	/* A: one connected socket; all states, so the State column stays. */
	CHECK_SS(n.a, &o,
		 "State Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess\n"
		 "ESTAB 0      0           10.0.0.1:40000     10.0.0.2:7          \n");
	tern_sim_destroy(n.sim);
}

/* ss -u alone: connected sockets only, so no State column; ss -u -l:
 * unconnected ones only (with a State column, as Linux ss). */
TEST(ss_udp_default_and_listening)
{
	struct net n;
	REQUIRE(net_up(&n));
	struct tern_ss_opts o = {.udp = true, .numeric = true};
	CHECK_SS(n.b, &o, "Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\n");
	CHECK_SS(n.a, &o,
		 "Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess\n"
		 "0      0           10.0.0.1:40000     10.0.0.2:7          \n");
	/* -l is two states to ss (LISTEN and UNCONN): the State column stays */
	o.select = TERN_SS_LISTENING;
	CHECK_SS(n.a, &o, "State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\n");
	o.no_header = true;
	char *b = ss(n.b, &o);
	REQUIRE(b);
	CHECK(strstr(b, "Recv-Q") == NULL);
	CHECK(strstr(b, "0.0.0.0:7 ") != NULL && strstr(b, "10.0.0.2:5353 ") != NULL);
	CHECK(strstr(b, "UNCONN") != NULL);
	free(b);
	tern_sim_destroy(n.sim);
}

/* Neither -t nor -u: every table, with a Netid column. */
TEST(ss_every_table_has_netid)
{
	struct net n;
	REQUIRE(net_up(&n));
	struct tern_ss_opts o = {.select = TERN_SS_LISTENING, .numeric = true, .no_header = true};
	struct tern_sock_info si;
	REQUIRE_EQ(tern_socket_info(n.b, n.echo, &si), 0);
	char want[256];
	snprintf(want, sizeof(want),
		 "udp UNCONN %-6u 0       0.0.0.0:7    0.0.0.0:*\n"
		 "udp UNCONN 0      0      10.0.0.2:5353 0.0.0.0:*\n", si.rx_queue);
	CHECK_SS(n.b, &o, want);
	struct tern_ss_opts plain = {0};
	CHECK_SS(n.b, &plain,
		 "Netid State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\n");
	tern_sim_destroy(n.sim);
}

/* -p names the owner, pid and descriptor; -i adds the counters. */
TEST(ss_processes_and_info)
{
	struct net n;
	REQUIRE(net_up(&n));
	struct tern_ss_opts o = {.udp = true, .select = TERN_SS_ALL, .numeric = true,
				 .processes = true, .info = true, .no_header = true, .pid = 4242};
	char *b = ss(n.b, &o);
	REQUIRE(b);
	char want[128];
	snprintf(want, sizeof(want), " users:((\"echo\",pid=4242,fd=%d))\n", n.echo);
	CHECK(strstr(b, want) != NULL);
	snprintf(want, sizeof(want), " users:((\"tern\",pid=4242,fd=%d))\n", n.mdns);
	CHECK(strstr(b, want) != NULL);
	CHECK(strstr(b, "\n\t queued:1 in:1 out:0 drops:0 rcvbuf:") != NULL);
	CHECK(strstr(b, "\n\t queued:0 in:0 out:0 drops:0 rcvbuf:") != NULL);
	free(b);
	b = ss(n.a, &o);
	REQUIRE(b);
	CHECK(strstr(b, "users:((\"client\",pid=4242,") != NULL);
	CHECK(strstr(b, "\t queued:0 in:0 out:1 drops:0 rcvbuf:") != NULL);
	free(b);
	tern_sim_destroy(n.sim);
}

/* On a terminal the spare width is spread over the columns: every table
 * line fills the screen exactly. */
TEST(ss_screen_width)
{
	struct net n;
	REQUIRE(net_up(&n));
	struct tern_ss_opts o = {.udp = true, .select = TERN_SS_ALL, .numeric = true,
				 .screen_width = 100};
	char *b = ss(n.b, &o);
	REQUIRE(b);
	unsigned lines = 0;
	for (char *p = b, *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1, lines++)
		CHECK_EQ(nl - p, 100);
	CHECK_EQ(lines, 3);
	free(b);
	tern_sim_destroy(n.sim);
}

/* Service names (from /etc/services) below the ephemeral range unless
 * numeric. */
TEST(ss_service_names)
{
	struct net n;
	REQUIRE(net_up(&n));
	struct tern_ss_opts o = {.udp = true, .select = TERN_SS_ALL, .no_header = true};
	char *b = ss(n.a, &o);
	REQUIRE(b);
	CHECK(strstr(b, "10.0.0.1:40000") != NULL);
	free(b);
	struct servent *se = getservbyport(htons(7), "udp");
	char want[64];
	snprintf(want, sizeof(want), "0.0.0.0:%s ", se ? se->s_name : "7");
	b = ss(n.b, &o);
	REQUIRE(b);
	CHECK(strstr(b, want) != NULL);
	free(b);
	tern_sim_destroy(n.sim);
}

TEST_MAIN()
