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
#include "tern/err.h"

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
	struct tern_ss_opts none = {.udp = true, .numeric = true, .no_header = true};
	CHECK_SS(n.b, &none, ""); /* no header, no row: nothing (and no table at all) */
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

/* UDP rows by local port (Linux's table slots), newest first on a port:
 * bound in the order 9000, 53, 9000 (SO_REUSEADDR). */
TEST(ss_udp_row_order)
{
	struct net n;
	REQUIRE(net_up(&n));
	int one = 1;
	int a = tern_socket(n.a, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	int b = udp_socket(n.a, 0, 53, NULL);
	int c = tern_socket(n.a, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	struct tern_sockaddr_in p9 = {0, 9000};
	REQUIRE(a >= 0 && b >= 0 && c >= 0);
	REQUIRE_EQ(tern_setsockopt(n.a, a, TERN_SOL_SOCKET, TERN_SO_REUSEADDR, &one, sizeof(one)), 0);
	REQUIRE_EQ(tern_setsockopt(n.a, c, TERN_SOL_SOCKET, TERN_SO_REUSEADDR, &one, sizeof(one)), 0);
	REQUIRE_EQ(tern_bind(n.a, a, &p9), 0);
	REQUIRE_EQ(tern_bind(n.a, c, &p9), 0);
	tern_socket_set_owner(n.a, a, "older");
	tern_socket_set_owner(n.a, c, "newer");
	struct tern_ss_opts o = {.udp = true, .select = TERN_SS_ALL, .numeric = true, .processes = true,
				 .no_header = true};
	char *t = ss(n.a, &o);
	REQUIRE(t);
	char *p53 = strstr(t, ":53 "), *pnew = strstr(t, "\"newer\""), *pold = strstr(t, "\"older\""),
	     *p40000 = strstr(t, ":40000 ");
	CHECK(p53 && pnew && pold && p40000);
	CHECK(p53 < pnew && pnew < pold && pold < p40000);
	free(t);
	tern_sim_destroy(n.sim);
}

/* ---- TCP ---------------------------------------------------------------- */

/* B listens on *:80 (owner "web"); A connects from 10.0.0.1:40001 and
 * sends 100 bytes B leaves unread; a second connection from A:40002 was
 * closed by A first (A holds it in TIME-WAIT); a third, A:40003, was
 * closed by B's application while A still sends nothing: B's side is an
 * orphan in FIN-WAIT-2. */
struct tnet {
	struct tern_sim *sim;
	struct tern_stack *a, *b;
	int lsd, c1, s1;
};

static int tcp_conn(struct tern_stack *a, struct tern_stack *b, int lsd, uint16_t port, int *ssd)
{
	int sd = tern_socket(a, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in me = {TERN_IP4(10, 0, 0, 1), port}, to = {TERN_IP4(10, 0, 0, 2), 80};
	if (sd < 0 || tern_bind(a, sd, &me) < 0 || tern_connect(a, sd, &to) != TERN_EINPROGRESS)
		return -1;
	(void)b;
	(void)lsd;
	*ssd = -1;
	return sd;
}

static bool tnet_up(struct tnet *n)
{
	n->sim = sim_pair(21, &n->a, &n->b);
	if (!n->sim)
		return false;
	n->lsd = tern_socket(n->b, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in any = {0, 80};
	if (n->lsd < 0 || tern_bind(n->b, n->lsd, &any) < 0 || tern_listen(n->b, n->lsd, 8) < 0)
		return false;
	tern_socket_set_owner(n->b, n->lsd, "web");
	int s2, s3;
	n->c1 = tcp_conn(n->a, n->b, n->lsd, 40001, &n->s1);
	tern_sim_run_for(n->sim, TERN_MSEC(50));
	n->s1 = tern_accept(n->b, n->lsd, NULL);
	int c2 = tcp_conn(n->a, n->b, n->lsd, 40002, &s2);
	tern_sim_run_for(n->sim, TERN_MSEC(50));
	s2 = tern_accept(n->b, n->lsd, NULL);
	int c3 = tcp_conn(n->a, n->b, n->lsd, 40003, &s3);
	tern_sim_run_for(n->sim, TERN_MSEC(50));
	s3 = tern_accept(n->b, n->lsd, NULL);
	if (n->c1 < 0 || n->s1 < 0 || c2 < 0 || s2 < 0 || c3 < 0 || s3 < 0)
		return false;
	static const char data[100];
	if (tern_send(n->a, n->c1, data, sizeof(data), 0) != (int)sizeof(data))
		return false;
	tern_close(n->a, c2); /* A: FIN-WAIT-1, 2, then TIME-WAIT once B closes */
	tern_sim_run_for(n->sim, TERN_MSEC(50));
	tern_close(n->b, s2);
	tern_close(n->b, s3); /* B: an orphan in FIN-WAIT-2 (A never closes c3) */
	tern_sim_run_for(n->sim, TERN_MSEC(50));
	return true;
}

TEST(ss_tcp_every_state_time_wait_and_orphans)
{
	struct tnet n;
	REQUIRE(tnet_up(&n));
	struct tern_ss_opts o = {.tcp = true, .select = TERN_SS_ALL, .numeric = true};
	char *b = ss(n.b, &o);
	REQUIRE(b);
	/* The listener first, then the connections (hash order); B's side
	 * of 40002 is gone (its LAST-ACK was acknowledged). */
	CHECK_STR(b, "State      Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n"
		     "LISTEN     0      8            0.0.0.0:80        0.0.0.0:*           \n"
		     "ESTAB      100    0           10.0.0.2:80       10.0.0.1:40001       \n"
		     "FIN-WAIT-2 0      0           10.0.0.2:80       10.0.0.1:40003       \n");
	char *lis = strstr(b, "LISTEN"), *est = strstr(b, "ESTAB");
	CHECK(lis && est && lis < est);
	free(b);
	b = ss(n.a, &o);
	REQUIRE(b);
	CHECK_STR(b, "State      Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess\n"
		     "TIME-WAIT  0      0           10.0.0.1:40002     10.0.0.2:80         \n"
		     "CLOSE-WAIT 0      0           10.0.0.1:40003     10.0.0.2:80         \n"
		     "ESTAB      0      0           10.0.0.1:40001     10.0.0.2:80         \n");
	free(b);
	/* Without -a: connections, not the listener, not TIME-WAIT. */
	struct tern_ss_opts d = {.tcp = true, .numeric = true};
	b = ss(n.a, &d);
	REQUIRE(b);
	CHECK(strstr(b, "TIME-WAIT") == NULL && strstr(b, "ESTAB") != NULL);
	free(b);
	tern_sim_destroy(n.sim);
}

/* -p -e -m -i: what ss appends, inside the Process cell. */
TEST(ss_tcp_details)
{
	struct tnet n;
	REQUIRE(tnet_up(&n));
	struct tern_ss_opts o = {.tcp = true, .select = TERN_SS_ALL, .numeric = true, .no_header = true,
				 .processes = true, .extended = true, .memory = true, .info = true,
				 .pid = 77};
	char *b = ss(n.b, &o);
	REQUIRE(b);
	char want[128];
	snprintf(want, sizeof(want), " users:((\"web\",pid=77,fd=%d)) ino:0 sk:", n.lsd);
	CHECK(strstr(b, want) != NULL);
	/* the listener: no shutdown, the accept-queue-only tcp_info */
	CHECK(strstr(b, " <->\n\t skmem:(r0,rb212992,t0,tb212992,f0,w0,o0,bl0,d0) cubic cwnd:10") != NULL);
	/* the connection with 100 bytes unread */
	CHECK(strstr(b, "\t skmem:(r") != NULL);
	CHECK(strstr(b, " ts sack cubic wscale:10,10 rto:") != NULL);
	CHECK(strstr(b, " bytes_received:100 ") != NULL);
	CHECK(strstr(b, " mss:1448 pmtu:1500 ") != NULL);
	/* the orphan: no process, both directions shut, FIN-WAIT-2's timer */
	CHECK(strstr(b, "10.0.0.1:40003 timer:(keepalive,59sec,0) ino:0 sk:") != NULL ||
	      strstr(b, "10.0.0.1:40003  timer:(keepalive,59sec,0) ino:0 sk:") != NULL);
	CHECK(strstr(b, " ---\n\t skmem:") != NULL);
	free(b);
	/* A's TIME-WAIT: timer, no skmem or tcp_info, an empty second line. */
	b = ss(n.a, &o);
	REQUIRE(b);
	CHECK(strstr(b, "10.0.0.2:80 timer:(timewait,59sec,0) ino:0 sk:") != NULL);
	free(b);
	tern_sim_destroy(n.sim);
}

/* state and port filters, as ss's FILTER words. */
TEST(ss_tcp_filters)
{
	struct tnet n;
	REQUIRE(tnet_up(&n));
	struct tern_ss_opts o = {.tcp = true, .numeric = true, .no_header = true};
	char err[128];
	char *w1[] = {"state", "fin-wait-2"};
	REQUIRE_EQ(tern_ss_parse_filter(&o, 2, w1, err, sizeof(err)), 0);
	char *b = ss(n.b, &o);
	REQUIRE(b);
	CHECK(strstr(b, "40003") != NULL && strstr(b, "40001") == NULL && strstr(b, "LISTEN") == NULL);
	free(b);
	struct tern_ss_opts p = {.tcp = true, .numeric = true, .no_header = true};
	char *w2[] = {"exclude", "listening", "(", "dport", "=", ":40001", "or", "dport", "==",
		      ":40003", ")"};
	REQUIRE_EQ(tern_ss_parse_filter(&p, 11, w2, err, sizeof(err)), 0);
	b = ss(n.b, &p);
	REQUIRE(b);
	CHECK(strstr(b, "40001") != NULL && strstr(b, "40003") != NULL && strstr(b, "LISTEN") == NULL);
	free(b);
	free((void *)p.filter);
	struct tern_ss_opts q = {.tcp = true, .select = TERN_SS_ALL, .numeric = true, .no_header = true};
	char *w3[] = {"sport = :80 and not dst 10.0.0.1:40001"};
	REQUIRE_EQ(tern_ss_parse_filter(&q, 1, w3, err, sizeof(err)), 0);
	b = ss(n.b, &q);
	REQUIRE(b);
	CHECK(strstr(b, "LISTEN") != NULL && strstr(b, "40003") != NULL && strstr(b, "40001") == NULL);
	free(b);
	free((void *)q.filter);
	struct tern_ss_opts r = {0};
	char *w4[] = {"state", "bogus"};
	CHECK_EQ(tern_ss_parse_filter(&r, 2, w4, err, sizeof(err)), -1);
	CHECK_STR(err, "wrong state name: bogus");
	char *w5[] = {"sport", "=", ":nosuchport"};
	CHECK_EQ(tern_ss_parse_filter(&r, 3, w5, err, sizeof(err)), -1);
	CHECK_STR(err, "Error: \"nosuchport\" does not look like a port.");
	tern_sim_destroy(n.sim);
}

/* -s, and one table over two stacks from their records. */
TEST(ss_summary_and_records_of_two_stacks)
{
	struct tnet n;
	REQUIRE(tnet_up(&n));
	struct tern_ss_opts o = {.summary = true, .summary_only = true};
	char *b = ss(n.b, &o);
	REQUIRE(b);
	/* B: sockets lsd, s1 (s2, s3 closed); TCP: listener, s1, the orphan */
	CHECK_STR(b, "Total: 2\n"
		     "TCP:   3 (estab 1, closed 0, orphaned 1, timewait 0)\n"
		     "\n"
		     "Transport Total     IP        IPv6\n"
		     "RAW\t  0         0         0        \n"
		     "UDP\t  0         0         0        \n"
		     "TCP\t  3         3         0        \n"
		     "INET\t  3         3         0        \n"
		     "FRAG\t  0         0         0        \n"
		     "\n");
	free(b);
	struct tern_ss_opts raw = {.tcp = true, .select = TERN_SS_ALL, .numeric = true, .raw = true};
	char *ra = ss(n.a, &raw), *rb = ss(n.b, &raw);
	REQUIRE(ra && rb);
	size_t la = strlen(ra), lb = strlen(rb);
	char *both = malloc(la + lb + 1);
	REQUIRE(both);
	memcpy(both, ra, la);
	memcpy(both + la, rb, lb + 1);
	char *tab = NULL;
	size_t tlen = 0;
	FILE *f = open_memstream(&tab, &tlen);
	REQUIRE(f);
	struct tern_ss_opts plain = raw;
	plain.raw = false;
	CHECK_EQ(tern_ss_render(both, la + lb, &plain, f), 0);
	fclose(f);
	/* One header, A's rows then B's, laid out together. */
	CHECK(strncmp(tab, "State ", 6) == 0);
	char *tw = strstr(tab, "TIME-WAIT"), *lis = strstr(tab, "LISTEN");
	CHECK(tw && lis && tw < lis);
	unsigned lines = 0;
	for (char *p = tab; *p; p++)
		lines += *p == '\n';
	CHECK_EQ(lines, 1 + 3 + 3); /* A: ESTAB, TIME-WAIT, CLOSE-WAIT; B: LISTEN, ESTAB, FIN-WAIT-2 */
	CHECK_EQ(tern_ss_render("junk", 4, &plain, stdout), TERN_EINVAL);
	free(tab);
	free(both);
	free(ra);
	free(rb);
	tern_sim_destroy(n.sim);
}

TEST_MAIN()
