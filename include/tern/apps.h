/*
 * tern/apps.h — ping, traceroute, nc, ss, http and curl as programs running on a tern host.
 *
 * Each is sans-I/O like the stack: start it on a stack at `now`; it sends
 * with stack timers and listens for ICMP, printing to `out` exactly what
 * iputils ping / traceroute print. Whoever drives the stack (the simulator
 * or the real-time runner) drives the app. Check done(), then finish()
 * prints the closing summary (ping) and frees. nc ends on -q or -w, the
 * end of its TCP connection, or an error; its user feeds it input and EOF
 * (tern_nc_send, _eof).
 * ss is not a running program: tern_ss_print prints a stack's sockets.
 * http serves files over TCP until finished; curl fetches URLs and ends.
 * iperf measures TCP throughput speaking iperf3's protocol, as client or
 * server, and prints what iperf3 prints.
 */
#ifndef TERN_APPS_H
#define TERN_APPS_H

#include <stdio.h>

#include "tern/stack.h"

/* ---- ping (iputils ping's behaviour and output) ---- */

struct tern_ping_opts {
	tern_ip4_t dst;
	tern_ip4_t src;          /* 0: route's choice (-I addr) */
	unsigned count;          /* -c; 0: until stopped */
	tern_time_t interval;    /* -i; default 1 s; 0 as iputils' -i 0 and -f: the next
	                          * request as soon as the last is answered, else
	                          * 10 ms after it (one in flight) */
	size_t size;             /* -s payload bytes; default 56 */
	uint8_t ttl;             /* -t; 0: stack default */
	tern_time_t timeout;     /* -W: how long to wait for each reply; default 10 s */
	tern_time_t deadline;    /* -w: stop after this long; 0: none */
	bool df;                 /* DF set (as -M probe) when pmtudisc is 0 */
	uint8_t pmtudisc;        /* -M dont|want|do|probe: enum tern_ip_pmtu (tern/stack.h);
	                          * the tool's default is WANT, as a Linux socket's */
	bool quiet;              /* -q */
	bool flood;              /* -f: '.' per request, backspace per reply, 'E' per error */
	bool broadcast;          /* -b given: as iputils, no (DUP!) marks */
	uint16_t ident;          /* ICMP identifier */
	const char *dst_name;    /* as typed, for the banner; NULL: the address */
	const char *device;      /* -I IFACE: named in the banner ("from SRC IFACE: ") */
	FILE *err;               /* local errors and the status line (iputils'
	                          * stderr); NULL: the output stream */
};
void tern_ping_opts_init(struct tern_ping_opts *o);

struct tern_ping_stats {
	unsigned transmitted, received, errors, duplicates;
	unsigned wrong_data;     /* replies whose payload differed from the request */
	unsigned pipe;           /* most requests in flight, iputils' "pipe N" */
	tern_time_t rtt_min, rtt_avg, rtt_max, rtt_mdev; /* microsecond precision, as printed */
	tern_time_t elapsed;     /* from the first to the last request sent, as "time Nms" */
	tern_time_t rtt_ewma;    /* iputils' smoothed RTT (gain 1/8), microsecond precision */
	/* the last error seen (type, code, from, mtu), for tests */
	uint8_t last_err_type, last_err_code;
	tern_ip4_t last_err_from;
	uint16_t last_err_mtu;
};

struct tern_ping;
/* Returns NULL and sets *err (TERN_EINVAL, TERN_ENOMEM ...) on failure. */
struct tern_ping *tern_ping_start(struct tern_stack *s, const struct tern_ping_opts *o,
				  FILE *out, tern_time_t now, int *err);
bool tern_ping_done(const struct tern_ping *p);
void tern_ping_get_stats(const struct tern_ping *p, struct tern_ping_stats *st);
/* iputils' answer to SIGQUIT, on opts.err: "\rN/M packets, P% loss" and,
 * once timed replies came, ", min/avg/ewma/max = a/b/c/d ms". */
void tern_ping_status(const struct tern_ping *p);
/* Stop (as on Ctrl-C), print the statistics, free. Returns the exit status
 * ping would: 0 if any reply arrived, 1 if none, 2 on other errors. */
int tern_ping_finish(struct tern_ping *p, tern_time_t now);
/* Stop and free without a word (iputils killed by SIGTERM prints nothing). */
void tern_ping_free(struct tern_ping *p);

/* ---- traceroute (traceroute's behaviour and output) ---- */

struct tern_traceroute_opts {
	tern_ip4_t dst;
	tern_ip4_t src;
	bool icmp;               /* -I: ICMP echo probes instead of UDP */
	bool dont_fragment;      /* -F: DF set; routers answer "fragmentation needed" (!F-MTU) */
	uint8_t first_ttl;       /* -f; default 1 */
	uint8_t max_ttl;         /* -m; default 30 */
	unsigned nqueries;       /* -q; default 3 */
	uint16_t port;           /* -p; default 33434, incremented per probe */
	size_t packetlen;        /* total IP length; default 60 */
	tern_time_t wait;        /* -w MAX; default 5 s */
	double wait_here;        /* -w ,HERE: at most HERE x an answered RTT of the same hop; default 3 (0: off) */
	double wait_near;        /* -w ,,NEAR: at most NEAR x an answered RTT of a later probe; default 10 (0: off) */
	unsigned sim_queries;    /* -N probes in flight; default 16 */
	bool numeric;            /* -n */
	uint16_t ident;          /* ICMP id / UDP source port */
	const char *dst_name;
};
void tern_traceroute_opts_init(struct tern_traceroute_opts *o);

#define TERN_TRACEROUTE_MAX_HOPS 64
struct tern_traceroute_result {
	unsigned hops;                                   /* lines printed */
	tern_ip4_t hop_addr[TERN_TRACEROUTE_MAX_HOPS];  /* first responder per line (line 0 is
							 * hop first_ttl); 0: none */
	bool reached;                                    /* destination answered */
};

struct tern_traceroute;
struct tern_traceroute *tern_traceroute_start(struct tern_stack *s,
					      const struct tern_traceroute_opts *o, FILE *out,
					      tern_time_t now, int *err);
bool tern_traceroute_done(const struct tern_traceroute *t);
void tern_traceroute_get_result(const struct tern_traceroute *t, struct tern_traceroute_result *r);
/* Free; returns 0 if the destination was reached, 1 otherwise. */
int tern_traceroute_finish(struct tern_traceroute *t, tern_time_t now);

/* ---- nc (OpenBSD nc, as Debian's netcat-openbsd 1.219 behaves: TCP, or UDP with -u) ---- */

struct tern_nc_opts {
	bool tcp;                /* TCP (nc's default mode; `tern nc` sets it unless -u);
				  * false, the zero value: UDP datagrams (-u) */
	bool listen;             /* -l. UDP: wait for a datagram, then talk to its sender
				  * only. TCP: accept one connection (more with keep) */
	bool keep;               /* -k (TCP, with listen): after a connection ends, accept
				  * the next instead of ending */
	bool shutdown_on_eof;    /* -N (TCP): shutdown(SHUT_WR) once the input ended and
				  * what it gave was sent */
	bool numeric;            /* -n: -v names the port "*" rather than by its
				  * /etc/services name, as nc -n does */
	bool zero;               /* -z (not with listen): only see whether the port
				  * answers. TCP: connect, then close; UDP: connect (no
				  * route fails it) and, with verbose, nc's probe (two
				  * "X" datagrams, then one a second for 3 s, or idle's
				  * seconds; a port unreachable fails it, silently).
				  * -v says "Connection to HOST PORT port [PROTO/NAME]
				  * succeeded!" for either. UDP with verbose and without
				  * zero probes the same way before the exchange */
	tern_ip4_t src;          /* -s; 0: route's choice */
	uint16_t port;           /* -p local port (with listen: the port listened on); 0: ephemeral */
	tern_ip4_t dst;          /* HOST (not with listen) */
	uint16_t dst_port;       /* PORT (not with listen) */
	tern_time_t quit_after;  /* -q. UDP: done this long after tern_nc_eof, reading
				  * nothing more meanwhile (nc's SHUT_RD). TCP with
				  * listen: at the input's end, FIN, read no more, keep
				  * off, done this long later. TCP client (as
				  * Debian's nc): after the input ends, shut down the write
				  * side; once the peer has closed too, done this long
				  * later. < 0: never; keep receiving, and over TCP send no
				  * FIN at EOF (the default of tern_nc_opts_init) */
	tern_time_t idle;        /* -w: done after this long without traffic either way
				  * (the input's end counts as traffic, as in nc),
				  * counted once a peer is known (TCP: once connected); TCP
				  * also gives up connecting after this long; 0: never */
	bool verbose;            /* -v: UDP with listen, "Bound on ADDR PORT" and
				  * "Connection received on ADDR PORT"; TCP as nc -v: "Listening
				  * on ADDR PORT", "Connection received on ADDR PORT", the
				  * client's "Connection to HOST PORT port [tcp/NAME]
				  * succeeded!" and "PROG: connect to HOST port PORT (tcp)
				  * failed: REASON" (on diag) */
	FILE *diag;              /* nc's messages (-v, errors); NULL: none */
	const char *prog;        /* errors read "PROG: read: Connection refused"; NULL: "nc" */
};
/* Zero (UDP), and quit_after -1 (never), as nc without -q. */
void tern_nc_opts_init(struct tern_nc_opts *o);

struct tern_nc;
/* Open the socket (bind, and connect unless listening; TCP: listen, or
 * start connecting). Everything received is written raw to `out`.
 * Returns NULL and sets *err (the socket or bind error, UDP's connect
 * error, TERN_EINVAL, TERN_ENOMEM) on failure, having said why on diag.
 * A TCP connect that fails (at once or later) ends nc instead, with exit
 * status 1 and, with verbose, nc's "connect to ... failed" line. */
struct tern_nc *tern_nc_start(struct tern_stack *s, const struct tern_nc_opts *o, FILE *out,
			      tern_time_t now, int *err);
/* Give nc input at `now`, as nc does for each read of stdin. UDP: sent as
 * one datagram; returns len, TERN_ENOTCONN when listening and no peer is
 * known yet, or the socket's error (a pending one, e.g.
 * TERN_ECONNREFUSED, which ends nc quietly with status 0, -q N seconds
 * later if -q N > 0, as Debian's nc; any other ends it with status 1). TCP: as much as the send buffer
 * takes goes at once, nc keeps the rest and sends it as room frees;
 * returns len, or TERN_ENOTCONN before the connection is established (or
 * after it ended). Feed more only while tern_nc_wants_input(). */
int tern_nc_send(struct tern_nc *nc, const void *buf, size_t len, tern_time_t now);
/* Whether nc takes input now: a peer is known (TCP: connected) and, over
 * TCP, what it was given before has all gone into the send buffer. */
bool tern_nc_wants_input(const struct tern_nc *nc);
/* The input ended (EOF on stdin): -q's countdown starts (UDP); TCP: -N
 * or -q shuts the write side down once the input has been sent. */
void tern_nc_eof(struct tern_nc *nc, tern_time_t now);
/* nc has ended: -q or -w ran out, the connection ended (TCP, without
 * keep), or an error. */
bool tern_nc_done(const struct tern_nc *nc);
/* UDP: the peer is known. TCP: a connection is established. */
bool tern_nc_has_peer(const struct tern_nc *nc);
/* The first error seen (TERN_ECONNREFUSED after an ICMP port unreachable
 * or a TCP reset to the SYN, TERN_ECONNRESET, TERN_EIO when `out` failed
 * ...), 0 if none. */
int tern_nc_error(const struct tern_nc *nc);
/* Datagrams (UDP) or reads (TCP) written to `out`. */
unsigned tern_nc_received(const struct tern_nc *nc);
/* Bytes written to `out`. */
uint64_t tern_nc_received_bytes(const struct tern_nc *nc);
/* TCP: connections established (accepted, with listen) so far; UDP: 1
 * once the socket is connected to its peer (0: the connect failed). */
unsigned tern_nc_connections(const struct tern_nc *nc);
/* Close and free; returns nc's exit status, as Debian's nc: 1 if a
 * connect failed or timed out (no route: "Network is unreachable"), a
 * UDP probe (-v) found the port closed, or an error other than a
 * port unreachable was seen (`out` failing, ...); else 0, also after a
 * TCP reset once connected or a UDP port unreachable, which nc takes
 * silently. What is still queued in the stack (tern_stack_tx_pending, a
 * closing TCP connection) is sent as long as the stack runs. */
int tern_nc_finish(struct tern_nc *nc);

/* ---- ss (iproute2 ss: the table of a stack's sockets) ---- */

enum tern_ss_select {
	TERN_SS_DEFAULT,         /* each table's default: connected sockets only */
	TERN_SS_LISTENING,       /* -l: listening ones (for UDP: unconnected, UNCONN) */
	TERN_SS_ALL,             /* -a: every state */
};

struct tern_ss_opts {
	bool tcp, udp;           /* -t, -u; neither: every table, as ss */
	enum tern_ss_select select;
	bool numeric;            /* -n: ports as numbers (else /etc/services names,
				  * except in the ephemeral range 49152-65535) */
	bool processes;          /* -p: users:(("OWNER",pid=PID,fd=SD)), OWNER being the
				  * socket's owner tag ("tern" if none), SD its descriptor */
	bool info;               /* -i: TCP: iproute2 6.1's tcp_info line; UDP: a second line
				  * of counters per socket */
	bool memory;             /* -m: TCP: the skmem:(...) line */
	bool extended;           /* -e: ino:0 sk:ID and the shutdown marks (<->); implies timers */
	bool timers;             /* -o: timer:(on|keepalive|timewait|persist,TIME,N) */
	bool no_header;          /* -H */
	bool ipv6;               /* -6: IPv6 sockets only (tern has none yet: no rows) */
	bool summary;            /* -s: the summary first (alone: only the summary) */
	bool summary_only;
	unsigned states;         /* "state NAME" / "exclude NAME": a mask of 1 << ss's state
				  * numbers (ESTAB 1 ... CLOSING 11); 0: -a/-l/defaults decide */
	const char *filter;      /* ss's address filter ("sport = :80 or dport = :80"), checked
				  * with tern_ss_filter_check; NULL: none */
	int screen_width;        /* > 0: spread the columns over a terminal this wide */
	long pid;                /* the PID that -p shows */
	bool raw;                /* print rows (and -s's counts) as records for
				  * tern_ss_render, not the table */
};

/* ss's FILTER words: "state NAME" and "exclude NAME" (ss's names:
 * established, syn-sent, ..., listening, closing, all, connected,
 * synchronized, bucket, big) into o->states, and the rest, an expression
 * over sport, dport, src and dst (= == != < <= > >= eq ne lt le gt ge,
 * and, or, not, !, parentheses; ports as ":80" or ":http", addresses as
 * A, A/P, A:PORT), into o->filter (allocated; free it). Returns 0, or -1
 * with ss's message in err ("wrong state name: X", "\"X\" does not look
 * like a port."). */
int tern_ss_parse_filter(struct tern_ss_opts *o, int argc, char **argv, char *err, size_t errlen);

/* Print the sockets of stack s to `out`, byte for byte as ss prints a
 * Linux host's with the same options; zeroed options are a plain `ss`.
 * Returns 0, or TERN_ENOMEM (having printed nothing). */
int tern_ss_print(struct tern_stack *s, const struct tern_ss_opts *o, FILE *out);

/* One table from the records tern_ss_print wrote with .raw set, for as
 * many stacks as were asked (concatenated, in the order given): what ss
 * prints for a machine's sockets, with o's options (o->raw ignored).
 * Returns 0, TERN_EINVAL (records not tern_ss_print's) or TERN_ENOMEM. */
int tern_ss_render(const char *records, size_t len, const struct tern_ss_opts *o, FILE *out);

/* ---- http (a static-file HTTP/1.1 server) ---- */

struct tern_httpd_opts {
	tern_ip4_t addr;         /* local address listened on; 0: all */
	uint16_t port;           /* default 80 */
	const char *root;        /* the directory served (required) */
	unsigned max_conns;      /* connections served at once (default 64); one more is
				  * answered 503 and closed */
	tern_time_t idle_timeout; /* an idle keep-alive connection is closed after this
				  * (default 5 s); also bounds a request's arrival */
	bool no_index;           /* a directory without index.html: 403, not a listing */
	FILE *log;               /* a Common Log Format line per request; NULL: none */
	FILE *diag;              /* errors; NULL: none */
	/* Wall-clock seconds for the Date header and the log (the CLI passes
	 * time()); NULL: the stack's time counted from the epoch, so a
	 * simulation logs deterministic dates. */
	int64_t (*wall_clock)(void *ctx);
	void *wall_ctx;
	/* Last-Modified the epoch rather than each file's mtime, so what a
	 * simulation sends depends on the files' contents only (not on when
	 * they were checked out): tern lab sets it. */
	bool epoch_mtime;
};
void tern_httpd_opts_init(struct tern_httpd_opts *o);

struct tern_httpd_stats {
	uint64_t connections;    /* accepted and served */
	uint64_t refused;        /* accepted beyond max_conns: 503 and closed */
	uint64_t requests;       /* answered (any status) */
	uint64_t bytes;          /* body bytes sent */
	unsigned active;         /* connections open now */
	unsigned max_active;     /* most open at once */
};

struct tern_httpd;
/* Listen and serve until tern_httpd_finish. NULL and *err (the socket,
 * bind or listen error, TERN_EINVAL without a root, TERN_ENOMEM) on
 * failure. */
struct tern_httpd *tern_httpd_start(struct tern_stack *s, const struct tern_httpd_opts *o,
				    tern_time_t now, int *err);
void tern_httpd_get_stats(const struct tern_httpd *h, struct tern_httpd_stats *st);
/* Close the listener and every connection (with reset if a response was
 * under way), free. */
void tern_httpd_finish(struct tern_httpd *h);

/* ---- curl (an HTTP/1.1 client with curl 7.88's options, output and exit codes) ---- */

#define TERN_CURL_MAX_URLS 16

struct tern_curl_opts {
	const char *urls[TERN_CURL_MAX_URLS]; /* http://HOST[:PORT][/PATH], HOST numeric
				  * IPv4 (a name: exit 6, "Could not resolve host") */
	unsigned nurls;          /* fetched one after another, one connection reused
				  * while the server keeps it alive */
	bool head;               /* -I: HEAD, and the headers to `out` */
	bool fail;               /* -f: HTTP >= 400 is exit 22, no body written */
	bool verbose;            /* -v: curl's "*", ">" and "<" lines on diag */
	bool data_trace;         /* with -v: "{ [N bytes data]" per read, as curl prints
				  * when stdout is not a terminal */
	bool silent;             /* -s: no error message */
	bool show_error;         /* -S: the error message even with -s */
	const char *write_out;   /* -w FORMAT after each transfer: %{http_code},
				  * %{time_total}, %{time_connect}, %{size_download} and
				  * more (src/app/curl.c); NULL: none */
	FILE *write_out_to;      /* where -w writes (curl: stdout, also with -o); NULL: out */
	tern_time_t max_time;    /* -m: the whole operation; 0: no limit */
	const char *user_agent;  /* NULL: "tern-curl" */
	FILE *diag;              /* -v lines and "curl: (N) MESSAGE"; NULL: none */
	const char *prog;        /* errors read "PROG: (7) ..."; NULL: "curl" */
	bool tcp_fastopen;       /* --tcp-fastopen: TCP_FASTOPEN_CONNECT on each connection
				  * (RFC 7413; a cookie from an earlier connection of the
				  * same stack puts the request on the SYN) */
};
void tern_curl_opts_init(struct tern_curl_opts *o);

struct tern_curl;
/* Start the first transfer; bodies go to `out`. NULL and *err
 * (TERN_EINVAL: no URL, TERN_ENOMEM) only when nothing could start; a bad
 * URL or a refused connection ends the transfer with curl's exit code. */
struct tern_curl *tern_curl_start(struct tern_stack *s, const struct tern_curl_opts *o,
				  FILE *out, tern_time_t now, int *err);
bool tern_curl_done(const struct tern_curl *c);
/* Of the last transfer: the status code (0 if none), bytes of body. */
int tern_curl_http_code(const struct tern_curl *c);
uint64_t tern_curl_size_download(const struct tern_curl *c);
/* TCP connections opened so far (1 when every URL reused the first). */
unsigned tern_curl_connects(const struct tern_curl *c);
/* Free; returns curl's exit code: 0, or the first failure's (1 unsupported
 * protocol, 3 bad URL, 6 could not resolve, 7 could not connect, 18
 * partial file, 22 HTTP error with -f, 23 write error, 28 timeout, 52
 * empty reply, 56 receive failure). */
int tern_curl_finish(struct tern_curl *c);

/* ---- hping (hping3's SYN probes and floods; a subset) ---- */

struct tern_hping_opts {
	tern_ip4_t dst;          /* HOST */
	const char *dst_name;    /* HOST as given, for the lines */
	uint16_t dport;          /* -p; default 0, as hping3 */
	uint16_t sport;          /* -s base source port, one more per packet; 0: random */
	uint64_t count;          /* -c; 0: until stopped */
	tern_time_t interval;    /* -i; default 1 s (--fast 100 ms, --faster 1 us) */
	uint16_t window;         /* -w; default 64, as hping3 */
	bool rand_source;        /* --rand-source: every packet from a random address */
	tern_ip4_t spoof;        /* -a: from this address; 0: the route's */
	bool quiet;              /* -q: only the first and the closing lines */
	FILE *diag;              /* the closing statistics (hping3: stderr); NULL: out */
	uint64_t seed;           /* ports, sequence numbers and random sources derive from it */
};
/* hping3's defaults: port 0, one packet a second, window 64. */
void tern_hping_opts_init(struct tern_hping_opts *o);

struct tern_hping;
/* Start sending TCP SYNs to o->dst; replies (SYN-ACK or RST from HOST:PORT
 * to our ports) are printed to out as hping3 prints them. NULL and *err
 * (TERN_ENETUNREACH without a route, TERN_ENOMEM ...) on failure. */
struct tern_hping *tern_hping_start(struct tern_stack *s, const struct tern_hping_opts *o,
				    FILE *out, tern_time_t now, int *err);
/* True once -c packets went and one second passed since the last. */
bool tern_hping_done(const struct tern_hping *h);
/* Print the statistics (to diag), free; hping3's exit status: 0 if
 * anything was received, else 1. */
int tern_hping_finish(struct tern_hping *h, tern_time_t now);

/* ---- rr (tern's own request/response rounds over TCP: write, write, read) ---- */

/* Each round the client writes a request in two writes (the first `split`
 * bytes, then the rest), then reads the whole response; the server reads
 * each request whole and answers it. A request starts with 8 bytes: its
 * own length and the response's (big-endian 32-bit each), so the server
 * needs no options. The model is netperf's TCP_RR, but the protocol and
 * the output are tern's own. */
struct tern_rr_opts {
	bool server;             /* -l: listen and answer */
	tern_ip4_t dst;          /* -c HOST */
	uint16_t port;           /* -p; default 7777 */
	uint32_t rounds;         /* -n; 0: by time (-t) */
	tern_time_t duration;    /* -t; default 10 s when -n is not given */
	uint32_t req, resp;      /* -r REQ,RESP bytes; default 100,100 (REQ at least 8) */
	uint32_t split;          /* --split N: the first write's bytes; default REQ / 2 */
	bool no_delay;           /* -N: TCP_NODELAY on the client's socket */
	bool quiet;              /* -q: no per-round lines */
	FILE *diag;              /* errors; NULL: out */
};
void tern_rr_opts_init(struct tern_rr_opts *o);

struct tern_rr_result {
	uint32_t rounds;         /* completed */
	tern_time_t elapsed;     /* from the first request to the last response */
	tern_time_t min, max, sum; /* round times */
};

struct tern_rr;
/* Start the client (connect, then rounds) or the server (listen). Client
 * lines to out: "round N: T ms" per round, then a summary. NULL and *err
 * on failure (socket, bind). */
struct tern_rr *tern_rr_start(struct tern_stack *s, const struct tern_rr_opts *o, FILE *out,
			      tern_time_t now, int *err);
/* Client: true once its rounds ended (or it failed). Server: never. */
bool tern_rr_done(const struct tern_rr *rr);
void tern_rr_get_result(const struct tern_rr *rr, struct tern_rr_result *r);
/* Print the client's summary (if it was not yet), close, free. Exit
 * status: 0 if every round completed, 1 otherwise (server: 0). */
int tern_rr_finish(struct tern_rr *rr);

/* ---- iperf (iperf3 3.12's protocol, options and output; TCP) ---- */

#define TERN_IPERF_MAX_STREAMS 128

struct tern_iperf_opts {
	bool server;             /* -s; else a client of dst */
	tern_ip4_t dst;          /* -c HOST */
	uint16_t port;           /* -p; default 5201 */
	tern_time_t duration;    /* -t; default 10 s (0 with bytes: until bytes) */
	uint64_t bytes;          /* -n: the test ends once this many bytes went, all
				  * streams together; 0: by duration */
	unsigned parallel;       /* -P streams; default 1, at most TERN_IPERF_MAX_STREAMS */
	bool reverse;            /* -R: the server sends, the client receives */
	size_t len;              /* -l bytes per write; 0: 128 KiB (UDP: the control
				  * connection's MSS, as iperf3) */
	bool udp;                /* -u: one UDP stream, paced (iperf3's datagrams: send
				  * time and sequence number first; the receiver counts
				  * loss and jitter) */
	tern_time_t interval;    /* -i between interval reports; default 1 s, 0: none */
	uint64_t rate;           /* -b bits/s per stream; 0: as fast as TCP goes (UDP:
				  * iperf3's 1 Mbit/s) */
	bool one_off;            /* -1 (server): end after one test */
	const char *congestion;  /* -C: the data connections' TCP_CONGESTION ("cubic",
				  * "reno"), sent to the server too; NULL: the
				  * stacks' defaults */
	uint64_t fq_rate;        /* --fq-rate bits/s: SO_MAX_PACING_RATE (rate / 8) on
				  * the data connections of both sides; 0: none */
	uint64_t cookie_seed;    /* the client's 36-character cookie derives from it */
	FILE *diag;              /* "PROG: error - ..." messages; NULL: none */
	const char *prog;        /* NULL: "iperf3" */
	bool no_delay;           /* -N: TCP_NODELAY on the data streams, both ends (iperf3
				  * tells the server with "nodelay" in its parameters) */
};
/* iperf3's defaults: client, TCP, port 5201, 10 s, 1 stream, 128 KiB
 * writes, 1 s intervals. */
void tern_iperf_opts_init(struct tern_iperf_opts *o);

/* Of the last test that ran to its results exchange (both sides know both). */
struct tern_iperf_result {
	unsigned tests;          /* tests that reached their results */
	unsigned streams;
	uint64_t sender_bytes;   /* the sending side's total (all streams) */
	uint64_t receiver_bytes; /* the receiving side's total */
	double sender_seconds, receiver_seconds;
	int64_t retransmits;     /* the sender's (TCP_INFO's tcpi_total_retrans), -1 unknown */
	unsigned intervals;      /* interval reports this side printed */
	double jitter;           /* UDP: the receiver's, seconds */
	int64_t lost;            /* UDP: datagrams the receiver found missing */
	uint64_t packets;        /* UDP: datagrams, by the receiver's count */
	unsigned failed;         /* tests ended by an error (a server's: refused
				  * parameters, protocol errors, lost or idle
				  * clients; it listens on) */
};

struct tern_iperf;
/* Client: connect the control connection to dst:port and run one test;
 * server: listen on port and serve tests one after another (one with
 * one_off). Output to `out` as iperf3 prints it. NULL and *err (socket,
 * bind or listen error, TERN_EINVAL, TERN_ENOMEM) on failure. */
struct tern_iperf *tern_iperf_start(struct tern_stack *s, const struct tern_iperf_opts *o,
				    FILE *out, tern_time_t now, int *err);
/* The client's test ended (or failed); the one-off server's test ended. */
bool tern_iperf_done(const struct tern_iperf *ip);
/* Stop as iperf3 does on Ctrl-C: the summary of a test under way (the
 * other side's figures unknown), SERVER_TERMINATE or CLIENT_TERMINATE to
 * the peer, "PROG: interrupt - the client has terminated" on diag; done,
 * with status 1. A test with no byte moving for 120 s (iperf3's
 * --rcv-timeout) ends the same way by itself: "error - idle timeout for
 * receiving data". */
void tern_iperf_interrupt(struct tern_iperf *ip);
void tern_iperf_get_result(const struct tern_iperf *ip, struct tern_iperf_result *r);
/* Close and free; returns iperf3's exit status: 0, or 1 after an error
 * (refused or lost connection, a protocol error, a test cut short). */
int tern_iperf_finish(struct tern_iperf *ip);

#endif
