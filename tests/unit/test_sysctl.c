/*
 * tests/unit/test_sysctl.c — the stack's tunables by Linux's names
 * (tern_sysctl_get/set, src/host/sysctl.c): every name's default as
 * /proc/sys prints it, a value set and read back, values refused with
 * the error Linux's sysctl(8) reports, and the effect of a change on
 * what the stack sends (SYN options, TTLs, SYN cookies, ports, buffers,
 * echo replies).
 */
#include <limits.h>

#include "tcp_fixture.h"

/* Every name tern implements, its default as tern prints it, a valid
 * other value (and how get prints it back), and a value it refuses. */
struct row {
	const char *name, *def, *set, *back, *bad;
};
static const struct row rows[] = {
	{"net.core.rmem_default", "212992", "65536", "65536", "100"},
	{"net.core.rmem_max", "212992", "1048576", "1048576", "-1"},
	{"net.core.somaxconn", "4096", "128", "128", "-5"},
	{"net.core.wmem_default", "212992", "65536", "65536", "4000"},
	{"net.core.wmem_max", "212992", "1048576", "1048576", "x"},
	{"net.ipv4.conf.all.accept_redirects", "1", "0", "0", "2"},
	{"net.ipv4.conf.all.forwarding", "0", "1", "1", "-1"},
	{"net.ipv4.conf.all.send_redirects", "1", "0", "0", "yes"},
	{"net.ipv4.icmp_echo_ignore_all", "0", "1", "1", "2"},
	{"net.ipv4.icmp_echo_ignore_broadcasts", "1", "0", "0", "3"},
	{"net.ipv4.icmp_msgs_burst", "50", "10", "10", "-1"},
	{"net.ipv4.icmp_msgs_per_sec", "1000", "200", "200", "1e3"},
	{"net.ipv4.icmp_ratelimit", "1000", "250", "250", "-1"},
	{"net.ipv4.icmp_ratemask", "6168", "6169", "6169", "4294967296"},
	{"net.ipv4.ip_default_ttl", "64", "30", "30", "0"},
	{"net.ipv4.ip_forward", "0", "1", "1", "1 1"},
	{"net.ipv4.ip_local_port_range", "32768\t60999", "40000  40100\n", "40000\t40100", "50000 40000"},
	{"net.ipv4.ip_no_pmtu_disc", "0", "3", "3", "4"},
	{"net.ipv4.ipfrag_high_thresh", "4194304", "5000000", "5000000", "1000"},
	{"net.ipv4.ipfrag_low_thresh", "3145728", "1000000", "1000000", "5000000"},
	{"net.ipv4.ipfrag_time", "30", "10", "10", "0"},
	{"net.ipv4.neigh.default.base_reachable_time_ms", "30000", "15000", "15000", "0"},
	{"net.ipv4.neigh.default.gc_thresh3", "1024", NULL, NULL, NULL},
	{"net.ipv4.neigh.default.locktime", "100", "50", "50", "-1"},
	{"net.ipv4.neigh.default.mcast_solicit", "3", "5", "5", "256"},
	{"net.ipv4.neigh.default.retrans_time_ms", "1000", "500", "500", "0"},
	{"net.ipv4.neigh.default.unres_qlen", "101", "5", "5", "-1"},
	{"net.ipv4.route.min_pmtu", "552", "1280", "1280", "67"},
	{"net.ipv4.route.mtu_expires", "600", "60", "60", "0"},
	{"net.ipv4.tcp_available_congestion_control", "reno cubic", NULL, NULL, NULL},
	{"net.ipv4.tcp_base_mss", "1024", "512", "512", "47"},
	{"net.ipv4.tcp_challenge_ack_limit", "1000", "100", "100", "-1"},
	{"net.ipv4.tcp_congestion_control", "cubic", "reno\n", "reno", ""},
	{"net.ipv4.tcp_dsack", "1", "0", "0", "2"},
	{"net.ipv4.tcp_early_retrans", "3", "0", "0", "5"},
	{"net.ipv4.tcp_ecn", "2", "1", "1", "3"},
	{"net.ipv4.tcp_ecn_fallback", "1", "0", "0", "2"},
	{"net.ipv4.tcp_fastopen", "1", "3", "3", "4096"},
	{"net.ipv4.tcp_fin_timeout", "60", "5", "5", "-1"},
	{"net.ipv4.tcp_frto", "2", "0", "0", "3"},
	{"net.ipv4.tcp_header_prediction", "1", "0", "0", "2"},
	{"net.ipv4.tcp_invalid_ratelimit", "500", "100", "100", "-1"},
	{"net.ipv4.tcp_keepalive_intvl", "75", "10", "10", "0"},
	{"net.ipv4.tcp_keepalive_probes", "9", "3", "3", "0"},
	{"net.ipv4.tcp_keepalive_time", "7200", "600", "600", "32768"},
	{"net.ipv4.tcp_max_syn_backlog", "256", "16", "16", "-1"},
	{"net.ipv4.tcp_moderate_rcvbuf", "1", "0", "0", "2"},
	{"net.ipv4.tcp_mtu_probe_floor", "48", "100", "100", "47"},
	{"net.ipv4.tcp_mtu_probing", "1", "2", "2", "3"},
	{"net.ipv4.tcp_pacing_ca_ratio", "120", "150", "150", "1001"},
	{"net.ipv4.tcp_pacing_ss_ratio", "200", "300", "300", "-1"},
	{"net.ipv4.tcp_probe_interval", "600", "60", "60", "-1"},
	{"net.ipv4.tcp_probe_threshold", "8", "16", "16", "-1"},
	{"net.ipv4.tcp_recovery", "1", "0", "0", "8"},
	{"net.ipv4.tcp_retries2", "15", "8", "8", "256"},
	{"net.ipv4.tcp_rmem", "4096\t212992\t33554432", "8192 65536 1048576", "8192\t65536\t1048576",
	 "4096 0 1"},
	{"net.ipv4.tcp_rto_max_ms", "120000", "60000", "60000", "999"},
	{"net.ipv4.tcp_rto_min_us", "200000", "5000", "5000", "0"},
	{"net.ipv4.tcp_sack", "1", "0", "0", "5"},
	{"net.ipv4.tcp_syn_retries", "6", "2", "2", "0"},
	{"net.ipv4.tcp_synack_retries", "5", "2", "2", "256"},
	{"net.ipv4.tcp_syncookies", "1", "2", "2", "3"},
	{"net.ipv4.tcp_timestamps", "1", "0", "0", "2"},
	{"net.ipv4.tcp_window_scaling", "1", "0", "0", "-1"},
	{"net.ipv4.tcp_wmem", "4096\t212992\t33554432", "4096 65536 4194304", "4096\t65536\t4194304",
	 "4096 65536 4194304 1"},
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

static struct tern_stack *new_stack(void)
{
	struct tern_stack_config c;
	tern_stack_config_init(&c);
	c.seed = 5;
	return tern_stack_create(&c);
}

static void get_str(struct tern_stack *s, const char *name, char *buf, size_t len)
{
	int n = tern_sysctl_get(s, name, buf, len);
	if (n < 0)
		snprintf(buf, len, "%s", n == TERN_ENOENT ? "ENOENT" : "ERR");
}

TEST(sysctl_names_sorted_and_all_listed)
{
	const char *n, *prev = NULL;
	unsigned i;
	for (i = 0; (n = tern_sysctl_name(i)); i++) {
		if (prev)
			CHECK(strcmp(prev, n) < 0);
		prev = n;
		REQUIRE(i < NROWS);
		CHECK_STR(n, rows[i].name); /* the table above covers every name */
	}
	CHECK_EQ(i, NROWS);
	CHECK(tern_sysctl_name(i) == NULL);
}

TEST(sysctl_every_name_default_set_get_bad)
{
	char buf[128];
	for (unsigned i = 0; i < NROWS; i++) {
		const struct row *r = &rows[i];
		struct tern_stack *s = new_stack(); /* one per name: rules between names */
		REQUIRE(s);
		get_str(s, r->name, buf, sizeof(buf));
		if (strcmp(buf, r->def) != 0)
			TEST_FAIL_("%s default: got '%s', want '%s'", r->name, buf, r->def);
		if (!r->set) {
			CHECK(tern_sysctl_readonly(r->name));
			CHECK_EQ(tern_sysctl_set(s, r->name, "1"), TERN_EACCES);
			get_str(s, r->name, buf, sizeof(buf));
			CHECK_STR(buf, r->def);
		} else {
			CHECK(!tern_sysctl_readonly(r->name));
			int rc = tern_sysctl_set(s, r->name, r->set);
			if (rc != 0)
				TEST_FAIL_("%s = '%s': %d", r->name, r->set, rc);
			get_str(s, r->name, buf, sizeof(buf));
			if (strcmp(buf, r->back) != 0)
				TEST_FAIL_("%s after set: got '%s', want '%s'", r->name, buf, r->back);
			rc = tern_sysctl_set(s, r->name, r->bad);
			if (rc != TERN_EINVAL)
				TEST_FAIL_("%s = '%s' (bad): %d, want EINVAL", r->name, r->bad, rc);
			get_str(s, r->name, buf, sizeof(buf));
			if (strcmp(buf, r->back) != 0)
				TEST_FAIL_("%s after a refused set: '%s'", r->name, buf);
			/* Not a number; for tcp_congestion_control, no such module. */
			bool cc = strcmp(r->name, "net.ipv4.tcp_congestion_control") == 0;
			CHECK_EQ(tern_sysctl_set(s, r->name, "junk"), cc ? TERN_ENOENT : TERN_EINVAL);
		}
		/* The same through the slash form, as sysctl(8) takes it. */
		char slash[96];
		snprintf(slash, sizeof(slash), "%s", r->name);
		for (char *p = slash; *p; p++)
			if (*p == '.')
				*p = '/';
		CHECK(tern_sysctl_get(s, slash, buf, sizeof(buf)) > 0);
		tern_stack_destroy(s);
	}
}

TEST(sysctl_unknown_names_and_short_buffers)
{
	struct tern_stack *s = new_stack();
	REQUIRE(s);
	char buf[8];
	/* Not implemented by tern, so not listed (as a kernel without them). */
	CHECK_EQ(tern_sysctl_get(s, "net.ipv4.tcp_low_latency", buf, sizeof(buf)), TERN_ENOENT);
	CHECK_EQ(tern_sysctl_set(s, "net.ipv4.tcp_retries1", "3"), TERN_ENOENT);
	CHECK_EQ(tern_sysctl_get(s, "", buf, sizeof(buf)), TERN_ENOENT);
	CHECK_EQ(tern_sysctl_get(s, NULL, buf, sizeof(buf)), TERN_ENOENT);
	CHECK_EQ(tern_sysctl_get(s, "net.ipv4.tcp_sack.", buf, sizeof(buf)), TERN_ENOENT);
	CHECK(!tern_sysctl_readonly("net.ipv4.nothing"));
	CHECK_EQ(tern_sysctl_get(s, "net.ipv4.tcp_sack", buf, sizeof(buf)), 1);
	CHECK_STR(buf, "1");
	/* "4096\t212992\t33554432" does not fit in 8: ENOSPC, truncated. */
	CHECK_EQ(tern_sysctl_get(s, "net.ipv4.tcp_rmem", buf, sizeof(buf)), TERN_ENOSPC);
	CHECK_STR(buf, "4096\t21");
	CHECK_EQ(tern_sysctl_set(s, "net.ipv4.tcp_sack", NULL), TERN_EINVAL);
	/* A vector given fewer values changes only the first ones (Linux). */
	CHECK_EQ(tern_sysctl_set(s, "net.ipv4.tcp_rmem", " 8192\n"), 0);
	char big[64];
	get_str(s, "net.ipv4.tcp_rmem", big, sizeof(big));
	CHECK_STR(big, "8192\t212992\t33554432");
	/* Linux's error for a congestion control it does not have. */
	CHECK_EQ(tern_sysctl_set(s, "net.ipv4.tcp_congestion_control", "bbr"), TERN_ENOENT);
	/* Rules between names. */
	CHECK_EQ(tern_sysctl_set(s, "net.ipv4.tcp_rto_min_us", "130000000"), TERN_EINVAL);
	CHECK_EQ(tern_sysctl_set(s, "net.ipv4.tcp_rto_max_ms", "1000"), 0);
	CHECK_EQ(tern_sysctl_set(s, "net.ipv4.tcp_rto_min_us", "1000001"), TERN_EINVAL);
	CHECK_EQ(tern_sysctl_set(s, "net.ipv4.tcp_rto_min_us", "1000000"), 0);
	CHECK_EQ(tern_sysctl_set(s, "net.ipv4.tcp_rto_max_ms", "1500"), 0);
	CHECK_EQ(tern_sysctl_set(s, "net.ipv4.ipfrag_high_thresh", "8388609"), TERN_EINVAL); /* > pool/4 */
	CHECK_EQ(tern_sysctl_set(s, "net.ipv4.ipfrag_high_thresh", "8388608"), 0);
	CHECK_EQ(s->budget.reasm.limit, 8388608);
	CHECK_EQ(tern_sysctl_set(s, "net.ipv4.ip_local_port_range", "5000 5000"), 0);
	CHECK_EQ(tern_sysctl_set(s, "net.ipv4.ip_local_port_range", "0 5000"), TERN_EINVAL);
	tern_stack_destroy(s);
}

/* ---- effects ---- */

/* Our SYN on a fresh connect, after the sysctls given. */
static bool syn_after(struct tfx *t, const char *name, const char *value, struct tern_tcp_repr *th)
{
	tcp_fx_config(t);
	tcp_fx_start(t);
	if (name && tern_sysctl_set(t->fx.s, name, value) != 0)
		return false;
	at_time(t, T_MS(10));
	t->sd = tern_socket(t->fx.s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in dst = sa(FX_IP_PEER, T_PEER_LISTEN_PORT);
	if (t->sd < 0 || tern_connect(t->fx.s, t->sd, &dst) != TERN_EINPROGRESS)
		return false;
	struct fx_pkt p;
	bool ok = tcp_pop_(t, T_MS(10), &p, th, __FILE__, __LINE__);
	if (ok)
		fx_pkt_free(&p);
	return ok && th->flags == TERN_TCP_SYN;
}

static void syn_done(struct tfx *t)
{
	tern_close(t->fx.s, t->sd);
	t->sd = -1;
	fx_finish(&t->fx);
}

TEST(sysctl_syn_options_follow_tcp_timestamps_sack_window_scaling)
{
	struct tfx t;
	struct tern_tcp_repr th;
	REQUIRE(syn_after(&t, NULL, NULL, &th));
	CHECK(th.has_ts && th.sack_perm && th.has_wscale && th.has_mss);
	syn_done(&t);
	REQUIRE(syn_after(&t, "net.ipv4.tcp_timestamps", "0", &th));
	CHECK(!th.has_ts && th.sack_perm && th.has_wscale);
	syn_done(&t);
	REQUIRE(syn_after(&t, "net.ipv4.tcp_sack", "0", &th));
	CHECK(th.has_ts && !th.sack_perm && th.has_wscale);
	syn_done(&t);
	REQUIRE(syn_after(&t, "net/ipv4/tcp_window_scaling", "0", &th));
	CHECK(th.has_ts && th.sack_perm && !th.has_wscale);
	syn_done(&t);
}

TEST(sysctl_ip_local_port_range_is_connects_range)
{
	struct tfx t;
	struct tern_tcp_repr th;
	REQUIRE(syn_after(&t, "net.ipv4.ip_local_port_range", "40000 40000", &th));
	CHECK_EQ(th.sport, 40000);
	/* The only port is taken towards that peer: a second connect fails. */
	int sd = tern_socket(t.fx.s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in dst = sa(FX_IP_PEER, T_PEER_LISTEN_PORT);
	CHECK_EQ(tern_connect(t.fx.s, sd, &dst), TERN_EADDRNOTAVAIL);
	tern_close(t.fx.s, sd);
	syn_done(&t);
}

TEST(sysctl_tcp_syn_retries_bounds_the_syns)
{
	struct tfx t;
	struct tern_tcp_repr th;
	REQUIRE(syn_after(&t, "net.ipv4.tcp_syn_retries", "1", &th));
	/* One retransmission after the initial RTO (1 s), then the
	 * connection gives up after the backed-off 2 s. */
	struct fx_frame *f = fx_next_tx(&t.fx, T_SEC(10));
	REQUIRE(f);
	CHECK_EQ(f->t, T_MS(10) + T_SEC(1));
	free(f);
	CHECK(fx_next_tx(&t.fx, T_SEC(10)) == NULL);
	int err = 0;
	size_t len = sizeof(err);
	CHECK_EQ(tern_getsockopt(t.fx.s, t.sd, TERN_SOL_SOCKET, TERN_SO_ERROR, &err, &len), 0);
	CHECK_EQ(err, TERN_ETIMEDOUT);
	syn_done(&t);
}

TEST(sysctl_ip_default_ttl_is_a_datagrams_ttl)
{
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	struct tern_mac peer = FX_MAC_PEER;
	REQUIRE(tern_arp_add_static(fx.s, fx.devs[0].ifindex, FX_IP_PEER, &peer) == 0);
	REQUIRE(tern_sysctl_set(fx.s, "net.ipv4.ip_default_ttl", "30") == 0);
	int sd = tern_socket(fx.s, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	struct tern_sockaddr_in dst = sa(FX_IP_PEER, 9);
	int ttl = 0;
	size_t len = sizeof(ttl);
	CHECK_EQ(tern_getsockopt(fx.s, sd, TERN_IPPROTO_IP, TERN_IP_TTL, &ttl, &len), 0);
	CHECK_EQ(ttl, 30);
	CHECK_EQ(tern_sendto(fx.s, sd, "x", 1, 0, &dst), 1);
	struct fx_pkt p;
	expect_tx_parse(&fx, &p);
	CHECK_EQ(p.ip.ttl, 30);
	CHECK_EQ(p.ip.proto, TERN_IPPROTO_UDP);
	fx_pkt_free(&p);
	tern_close(fx.s, sd);
	fx_finish(&fx);
}

TEST(sysctl_icmp_echo_ignore_all_stops_replies)
{
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	struct tern_mac peer = FX_MAC_PEER;
	REQUIRE(tern_arp_add_static(fx.s, fx.devs[0].ifindex, FX_IP_PEER, &peer) == 0);
	uint8_t f[128];
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = FX_IP_US};
	size_t n = fxb_echo(f, FX_MAC_US, FX_MAC_PEER, &h, TERN_ICMP_ECHO, 1, 1, (const uint8_t *)"hi", 2);
	inject(&fx, TERN_MSEC(1), f, n);
	struct fx_pkt p;
	expect_tx_parse(&fx, &p);
	CHECK(p.is_icmp && p.icmp.type == TERN_ICMP_ECHO_REPLY);
	fx_pkt_free(&p);
	REQUIRE(tern_sysctl_set(fx.s, "net.ipv4.icmp_echo_ignore_all", "1") == 0);
	inject(&fx, TERN_MSEC(2), f, n);
	expect_no_tx(&fx, TERN_SEC(5));
	CHECK_EQ(fx_stat(&fx, "icmp.echo_ignored"), 1);
	fx_finish(&fx);
}

TEST(sysctl_tcp_syncookies_2_answers_every_syn_with_a_cookie)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_listen(&t));
	REQUIRE(tern_sysctl_set(t.fx.s, "net.ipv4.tcp_syncookies", "2") == 0);
	REQUIRE(tcp_fx_syn_received(&t, true, T_MS(10)));
	CHECK_EQ(fx_stat(&t.fx, "tcp.syncookies_sent"), 1);
	CHECK_EQ(t.fx.s->socks->tcp.half_open, 0); /* no tcb kept: a cookie */
	/* The handshake's ACK completes it from the cookie. */
	inject_seg(&t, T_MS(20), &SEG(.seq = t.peer, .ack = t.us, .flags = TERN_TCP_ACK, .ts = true,
				      .tsval = peer_tsval(&t, T_MS(20)), .tsecr = our_tsval(&t, T_MS(10))));
	t.ts = true;
	t.sd = tern_accept(t.fx.s, t.lsd, NULL);
	CHECK(t.sd >= 0);
	tcp_fx_finish(&t);
}

TEST(sysctl_tcp_syncookies_0_drops_past_the_syn_backlog)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_listen(&t));
	REQUIRE(tern_sysctl_set(t.fx.s, "net.ipv4.tcp_syncookies", "0") == 0);
	REQUIRE(tern_sysctl_set(t.fx.s, "net.ipv4.tcp_max_syn_backlog", "0") == 0);
	inject_seg(&t, T_MS(10), &SEG(.seq = t.irs, .flags = TERN_TCP_SYN, .mss_opt = true, .mss = 1460,
				      .no_ts = true));
	expect_no_seg(&t, T_MS(500));
	CHECK_EQ(fx_stat(&t.fx, "tcp.syn_queue_full"), 1);
	tcp_fx_finish(&t);
}

TEST(sysctl_buffers_and_somaxconn_for_new_sockets)
{
	struct tern_stack *s = new_stack();
	REQUIRE(s);
	int v = 0;
	int tcp = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	int udp = tern_socket(s, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	CHECK_EQ(get_int(s, tcp, TERN_SOL_SOCKET, TERN_SO_RCVBUF, &v), 0);
	CHECK_EQ(v, 212992);
	REQUIRE(tern_sysctl_set(s, "net.ipv4.tcp_rmem", "4096 131072 6291456") == 0);
	REQUIRE(tern_sysctl_set(s, "net.ipv4.tcp_wmem", "4096 16384 4194304") == 0);
	REQUIRE(tern_sysctl_set(s, "net.core.rmem_default", "100000") == 0);
	REQUIRE(tern_sysctl_set(s, "net.core.wmem_default", "90000") == 0);
	REQUIRE(tern_sysctl_set(s, "net.core.rmem_max", "50000") == 0);
	REQUIRE(tern_sysctl_set(s, "net.core.wmem_max", "40000") == 0);
	/* Existing sockets keep theirs (Linux reads these at creation). */
	CHECK_EQ(get_int(s, tcp, TERN_SOL_SOCKET, TERN_SO_RCVBUF, &v), 0);
	CHECK_EQ(v, 212992);
	int tcp2 = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	int udp2 = tern_socket(s, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	CHECK_EQ(get_int(s, tcp2, TERN_SOL_SOCKET, TERN_SO_RCVBUF, &v), 0);
	CHECK_EQ(v, 131072); /* tcp_rmem[1], as Linux's tcp_init_sock */
	CHECK_EQ(get_int(s, tcp2, TERN_SOL_SOCKET, TERN_SO_SNDBUF, &v), 0);
	CHECK_EQ(v, 16384);
	CHECK_EQ(get_int(s, udp2, TERN_SOL_SOCKET, TERN_SO_RCVBUF, &v), 0);
	CHECK_EQ(v, 100000);
	CHECK_EQ(get_int(s, udp2, TERN_SOL_SOCKET, TERN_SO_SNDBUF, &v), 0);
	CHECK_EQ(v, 90000);
	/* setsockopt caps at rmem_max / wmem_max, then doubles. */
	CHECK_EQ(set_int(s, udp2, TERN_SOL_SOCKET, TERN_SO_RCVBUF, 1 << 20), 0);
	CHECK_EQ(get_int(s, udp2, TERN_SOL_SOCKET, TERN_SO_RCVBUF, &v), 0);
	CHECK_EQ(v, 100000);
	CHECK_EQ(set_int(s, udp2, TERN_SOL_SOCKET, TERN_SO_SNDBUF, 1 << 20), 0);
	CHECK_EQ(get_int(s, udp2, TERN_SOL_SOCKET, TERN_SO_SNDBUF, &v), 0);
	CHECK_EQ(v, 80000);
	/* somaxconn caps listen()'s backlog (ss shows it as Send-Q). */
	REQUIRE(tern_sysctl_set(s, "net.core.somaxconn", "8") == 0);
	struct tern_sockaddr_in a = sa(0, 80);
	CHECK_EQ(tern_bind(s, tcp2, &a), 0);
	CHECK_EQ(tern_listen(s, tcp2, 100), 0);
	struct tern_sock_info si;
	CHECK_EQ(tern_socket_info(s, tcp2, &si), 0);
	CHECK_EQ(si.tx_queue, 8);
	(void)udp;
	tern_stack_destroy(s);
}

TEST(sysctl_keepalive_and_congestion_control_for_new_connections)
{
	struct tern_stack *s = new_stack();
	REQUIRE(s);
	REQUIRE(tern_sysctl_set(s, "net.ipv4.tcp_keepalive_time", "600") == 0);
	REQUIRE(tern_sysctl_set(s, "net.ipv4.tcp_keepalive_intvl", "30") == 0);
	REQUIRE(tern_sysctl_set(s, "net.ipv4.tcp_keepalive_probes", "4") == 0);
	int sd = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	int v = 0;
	CHECK_EQ(get_int(s, sd, TERN_IPPROTO_TCP, TERN_TCP_KEEPIDLE, &v), 0);
	CHECK_EQ(v, 600);
	CHECK_EQ(get_int(s, sd, TERN_IPPROTO_TCP, TERN_TCP_KEEPINTVL, &v), 0);
	CHECK_EQ(v, 30);
	CHECK_EQ(get_int(s, sd, TERN_IPPROTO_TCP, TERN_TCP_KEEPCNT, &v), 0);
	CHECK_EQ(v, 4);
	REQUIRE(tern_sysctl_set(s, "net.ipv4.tcp_congestion_control", " reno ") == 0);
	char cc[16] = {0};
	size_t len = sizeof(cc);
	CHECK_EQ(tern_getsockopt(s, sd, TERN_IPPROTO_TCP, TERN_TCP_CONGESTION, cc, &len), 0);
	CHECK_STR(cc, "reno");
	tern_stack_destroy(s);
}

TEST(sysctl_forwarding_redirects_and_icmp_limits_are_the_config)
{
	struct tern_stack *s = new_stack();
	REQUIRE(s);
	REQUIRE(tern_sysctl_set(s, "net.ipv4.ip_forward", "1") == 0);
	CHECK(s->cfg->forwarding);
	char buf[8];
	get_str(s, "net.ipv4.conf.all.forwarding", buf, sizeof(buf));
	CHECK_STR(buf, "1"); /* one switch, two names, as Linux */
	REQUIRE(tern_sysctl_set(s, "net.ipv4.conf.all.forwarding", "0") == 0);
	CHECK(!s->cfg->forwarding);
	REQUIRE(tern_sysctl_set(s, "net.ipv4.icmp_ratelimit", "250") == 0);
	CHECK_EQ(s->cfg->icmp_ratelimit, TERN_MSEC(250));
	REQUIRE(tern_sysctl_set(s, "net.ipv4.ipfrag_time", "10") == 0);
	CHECK_EQ(s->cfg->reasm_timeout, TERN_SEC(10));
	REQUIRE(tern_sysctl_set(s, "net.ipv4.neigh.default.locktime", "50") == 0);
	CHECK_EQ(s->cfg->arp_locktime, TERN_MSEC(500));
	REQUIRE(tern_sysctl_set(s, "net.ipv4.tcp_rto_min_us", "5000") == 0);
	CHECK_EQ(s->cfg->tcp_rto_min, TERN_MSEC(5));
	REQUIRE(tern_sysctl_set(s, "net.ipv4.tcp_fin_timeout", "5") == 0);
	CHECK_EQ(s->cfg->tcp_fin_timeout, TERN_SEC(5));
	tern_stack_destroy(s);
}

TEST(sysctl_tcp_rto_min_us_lowers_the_first_retransmission)
{
	/* Handshake RTT 10 ms: SRTT 10, RTTVAR 5, so RTO = SRTT + max(4 RTTVAR,
	 * tcp_rto_min), as Linux: 210 ms by default, 30 ms with 5 ms. */
	static const char data[10] = "0123456789";
	for (int lowered = 0; lowered < 2; lowered++) {
		struct tfx t;
		tcp_fx_config(&t);
		REQUIRE(tcp_fx_listen(&t));
		if (lowered)
			REQUIRE(tern_sysctl_set(t.fx.s, "net.ipv4.tcp_rto_min_us", "5000") == 0);
		REQUIRE(tcp_fx_syn_received(&t, false, T_MS(10)));
		IN(&t, T_MS(20), .seq = t.peer, .ack = t.us, .flags = TERN_TCP_ACK);
		t.sd = tern_accept(t.fx.s, t.lsd, NULL);
		REQUIRE(t.sd >= 0);
		at_time(&t, T_MS(100));
		REQUIRE(tern_send(t.fx.s, t.sd, data, sizeof(data), 0) == (int)sizeof(data));
		OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = TERN_TCP_ACK, .data = data,
		    .len = sizeof(data));
		tern_time_t rto = lowered ? T_MS(30) : T_MS(210);
		OUT(&t, T_MS(100) + rto, .seq = t.us, .ack = t.peer, .flags = TERN_TCP_ACK, .data = data,
		    .len = sizeof(data));
		tcp_fx_finish(&t);
	}
}

TEST(sysctl_tcp_synack_retries_bounds_the_syn_acks)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_listen(&t));
	REQUIRE(tern_sysctl_set(t.fx.s, "net.ipv4.tcp_synack_retries", "1") == 0);
	REQUIRE(tcp_fx_syn_received(&t, false, T_MS(10)));
	struct fx_frame *f = fx_next_tx(&t.fx, T_SEC(30));
	REQUIRE(f); /* the one retransmission, after the initial 1 s */
	CHECK_EQ(f->t, T_MS(10) + T_SEC(1));
	free(f);
	CHECK(fx_next_tx(&t.fx, T_SEC(30)) == NULL);
	CHECK_EQ(t.fx.s->socks->tcp.half_open, 0); /* given up */
	tcp_fx_finish(&t);
}

TEST(sysctl_tcp_fin_timeout_ends_an_orphan_in_fin_wait_2)
{
	for (int lowered = 0; lowered < 2; lowered++) {
		struct tfx t;
		tcp_fx_config(&t);
		REQUIRE(tcp_fx_passive_established(&t));
		if (lowered)
			REQUIRE(tern_sysctl_set(t.fx.s, "net.ipv4.tcp_fin_timeout", "5") == 0);
		REQUIRE(tcp_fx_to_fin_wait_2(&t, T_MS(100)));
		tern_close(t.fx.s, t.sd); /* an orphan now */
		t.sd = -1;
		fx_advance(&t.fx, T_MS(101) + T_SEC(5) + T_MS(1));
		CHECK_EQ(t.fx.s->socks->tcp.count, lowered ? 0u : 1u);
		tcp_fx_finish(&t);
	}
}

TEST(sysctl_ipfrag_time_is_the_reassembly_timeout)
{
	static uint8_t whole[800], f[FX_FRAME_MAX];
	for (int lowered = 0; lowered < 2; lowered++) {
		struct fixture fx;
		fx_config(&fx);
		fx_host(&fx);
		if (lowered)
			REQUIRE(tern_sysctl_set(fx.s, "net.ipv4.ipfrag_time", "1") == 0);
		struct fxb_ip h = {.src = FX_IP_PEER, .dst = FX_IP_US, .id = 7, .proto = TERN_IPPROTO_UDP};
		size_t n = fxb_frag(f, FX_MAC_US, FX_MAC_PEER, &h, whole, sizeof(whole), 400, 400);
		inject(&fx, TERN_MSEC(1), f, n); /* the last fragment alone: no ICMP on timeout */
		CHECK(fx.s->budget.reasm.used > 0);
		fx_advance(&fx, TERN_MSEC(1) + TERN_SEC(1) + TERN_MSEC(1));
		CHECK_EQ(fx.s->budget.reasm.used == 0, lowered == 1);
		fx_finish(&fx);
	}
}

TEST(sysctl_neigh_mcast_solicit_and_retrans_time_ms)
{
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	REQUIRE(tern_sysctl_set(fx.s, "net.ipv4.neigh.default.mcast_solicit", "2") == 0);
	REQUIRE(tern_sysctl_set(fx.s, "net/ipv4/neigh/default/retrans_time_ms", "250") == 0);
	int sd = tern_socket(fx.s, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	struct tern_sockaddr_in dst = sa(TERN_IP4(10, 0, 0, 9), 9);
	fx_advance(&fx, TERN_MSEC(10));
	CHECK_EQ(tern_sendto(fx.s, sd, "x", 1, 0, &dst), 1);
	/* Two requests 250 ms apart, then the neighbour is given up on. */
	struct fx_frame *a = fx_next_tx(&fx, TERN_SEC(10));
	struct fx_frame *b = fx_next_tx(&fx, TERN_SEC(10));
	REQUIRE(a && b);
	CHECK_EQ(b->t - a->t, TERN_MSEC(250));
	free(a);
	free(b);
	struct fx_frame *c = fx_next_tx(&fx, TERN_SEC(10));
	CHECK(c == NULL || c->data[12] != 0x08 || c->data[13] != 0x06); /* no third ARP */
	free(c);
	tern_close(fx.s, sd);
	fx_finish(&fx);
}

TEST(sysctl_icmp_echo_ignore_broadcasts_0_answers_a_broadcast_ping)
{
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	struct tern_mac peer = FX_MAC_PEER;
	REQUIRE(tern_arp_add_static(fx.s, fx.devs[0].ifindex, FX_IP_PEER, &peer) == 0);
	uint8_t f[128];
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = TERN_IP4(10, 0, 0, 255), .id = 1};
	size_t n = fxb_echo(f, tern_mac_broadcast, FX_MAC_PEER, &h, TERN_ICMP_ECHO, 1, 1,
			    (const uint8_t *)"ab", 2);
	inject(&fx, TERN_MSEC(1), f, n);
	expect_no_tx(&fx, TERN_MSEC(100));
	CHECK_EQ(fx_stat(&fx, "icmp.broadcast_echo_ignored"), 1);
	REQUIRE(tern_sysctl_set(fx.s, "net.ipv4.icmp_echo_ignore_broadcasts", "0") == 0);
	inject(&fx, TERN_MSEC(200), f, n);
	struct fx_pkt p;
	expect_tx_parse(&fx, &p);
	CHECK(p.is_icmp && p.icmp.type == TERN_ICMP_ECHO_REPLY);
	fx_pkt_free(&p);
	fx_finish(&fx);
}

TEST(sysctl_icmp_msgs_burst_bounds_the_errors)
{
	/* Per-destination limiting off (icmp_ratelimit 0): the host-wide
	 * bucket alone, one token deep, lets one port unreachable through. */
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	struct tern_mac peer = FX_MAC_PEER;
	REQUIRE(tern_arp_add_static(fx.s, fx.devs[0].ifindex, FX_IP_PEER, &peer) == 0);
	REQUIRE(tern_sysctl_set(fx.s, "net.ipv4.icmp_ratelimit", "0") == 0);
	REQUIRE(tern_sysctl_set(fx.s, "net.ipv4.icmp_msgs_burst", "1") == 0);
	REQUIRE(tern_sysctl_set(fx.s, "net.ipv4.icmp_msgs_per_sec", "1") == 0);
	uint8_t f[128];
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = FX_IP_US, .id = 1};
	fx_advance(&fx, TERN_SEC(5)); /* the bucket full (of its one token) */
	for (int i = 0; i < 3; i++) {
		size_t n = fxb_udp(f, FX_MAC_US, FX_MAC_PEER, &h, 5000, 9, (const uint8_t *)"x", 1);
		inject(&fx, TERN_SEC(5) + TERN_MSEC(i), f, n);
	}
	struct fx_pkt p;
	expect_tx_parse(&fx, &p);
	CHECK(p.is_icmp && p.icmp.type == TERN_ICMP_DEST_UNREACH);
	fx_pkt_free(&p);
	expect_no_tx(&fx, TERN_SEC(5) + TERN_MSEC(100));
	CHECK_EQ(fx_stat(&fx, "icmp.errors_ratelimited"), 2);
	fx_finish(&fx);
}

TEST(sysctl_tcp_rto_max_ms_caps_the_backoff)
{
	struct tfx t;
	struct tern_tcp_repr th;
	tcp_fx_config(&t);
	tcp_fx_start(&t);
	REQUIRE(tern_sysctl_set(t.fx.s, "net.ipv4.tcp_rto_max_ms", "1500") == 0);
	at_time(&t, T_MS(10));
	t.sd = tern_socket(t.fx.s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in dst = sa(FX_IP_PEER, T_PEER_LISTEN_PORT);
	REQUIRE(tern_connect(t.fx.s, t.sd, &dst) == TERN_EINPROGRESS);
	struct fx_pkt p;
	REQUIRE(tcp_pop_(&t, T_MS(10), &p, &th, __FILE__, __LINE__));
	fx_pkt_free(&p);
	/* SYNs at 0, +1 s, then +1.5 s each time (not 2, 4, 8 s). */
	tern_time_t at[] = {T_MS(1010), T_MS(2510), T_MS(4010), T_MS(5510)};
	for (unsigned i = 0; i < 4; i++) {
		struct fx_frame *f = fx_next_tx(&t.fx, T_SEC(100));
		REQUIRE(f);
		CHECK_EQ(f->t, at[i]);
		free(f);
	}
	tcp_fx_finish(&t);
}

TEST_MAIN()
