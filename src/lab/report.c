/*
 * lab/report.c — OUT/report.html (lab/report.h).
 *
 * While the scenario runs, a stack-wide TCP trace (tern_tcp_set_trace) on
 * every host and router feeds each connection's events into bounded
 * series (lab/plot.h): segments sent and resent, ACKs and the window they
 * offer, cwnd, ssthresh and srtt. Memory is bounded whatever the run's
 * length: at most LAB_REPORT_MAX_CONNS connections are tracked, the first
 * LAB_REPORT_MAX_PLOTTED that send data get plots, and each series keeps
 * LAB_REPORT_POINTS points, coarsening as it fills. At the end the page is
 * written from those, the links' counters (tern_sim_link_stats and the
 * fault injectors'), the topology (a .dot file laid out by Graphviz's
 * `dot -Tsvg`, run as a child process; without it the page says so) and
 * the transcript. Nothing on the page comes from a clock: the same run
 * gives the same bytes.
 */
#define _GNU_SOURCE
#include "lab/report.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lab/plot.h"
#include "tern/err.h"
#include "tern/tcp.h"
#include "wire/tcp.h"

#define TRANSCRIPT_MAX (4u << 20) /* bytes of transcript on the page */
#define LINUX_TCP_ESTABLISHED 1   /* tcpi_state numbering */
#define LINUX_TCP_CLOSE 7

struct conn_plots {
	struct lab_series seq, retr, ack, rwin, sack, cwnd, ssthresh, srtt;
};

struct conn {
	size_t node;
	struct tern_sockaddr_in local, peer;
	uint32_t isn;
	bool closed;
	tern_time_t first, last;
	uint64_t data_bytes, segs, retrans, acks;
	uint32_t max_cwnd, last_cwnd, last_ssthresh;
	tern_time_t min_srtt, max_srtt, last_srtt;
	uint8_t state;
	bool established;        /* reached ESTABLISHED at some point */
	struct conn_plots *plots; /* NULL until it sends data, or past the bound */
};

struct node_ctx {
	struct lab_report *rep;
	size_t node;
	size_t last;             /* the connection this node's last event was for, + 1 */
};

struct lab_report {
	const struct lab_topo *t;
	const struct lab_world *w;
	struct node_ctx *ctx;
	struct conn *conns;
	size_t nconns, nplotted;
	uint64_t untracked;       /* events of connections past the bound */
	bool oom;
};

/* ---- recording ------------------------------------------------------------------ */

static struct conn_plots *plots_new(void)
{
	struct conn_plots *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	struct lab_series *all[] = {&p->seq, &p->retr, &p->ack, &p->rwin, &p->sack,
				    &p->cwnd, &p->ssthresh, &p->srtt};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (lab_series_init(all[i], LAB_REPORT_POINTS) < 0) {
			for (size_t k = 0; k < i; k++)
				lab_series_fini(all[k]);
			free(p);
			return NULL;
		}
	return p;
}

static void plots_free(struct conn_plots *p)
{
	if (!p)
		return;
	struct lab_series *all[] = {&p->seq, &p->retr, &p->ack, &p->rwin, &p->sack,
				    &p->cwnd, &p->ssthresh, &p->srtt};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		lab_series_fini(all[i]);
	free(p);
}

static bool same_addr(const struct tern_sockaddr_in *a, const struct tern_sockaddr_in *b)
{
	return a->addr == b->addr && a->port == b->port;
}

static struct conn *find_conn(struct lab_report *rep, struct node_ctx *nc,
			      const struct tern_tcp_trace_event *ev)
{
	size_t node = nc->node;
	/* the same connection as the last event's, most of the time */
	if (nc->last) {
		struct conn *c = &rep->conns[nc->last - 1];
		if (same_addr(&c->local, &ev->local) && same_addr(&c->peer, &ev->peer) &&
		    !c->closed)
			return c;
	}
	/* newest first: a reused 4-tuple is the latest connection */
	for (size_t i = rep->nconns; i-- > 0;) {
		struct conn *c = &rep->conns[i];
		if (c->node == node && same_addr(&c->local, &ev->local) &&
		    same_addr(&c->peer, &ev->peer)) {
			/* a closed one's 4-tuple starts a new connection with a
			 * SYN; anything else is the old one's last word */
			bool syn = ev->kind == TERN_TCP_TRACE_SEND && (ev->flags & TERN_TCP_SYN);
			if (!c->closed || !syn) {
				nc->last = i + 1;
				return c;
			}
			break;
		}
	}
	if (rep->nconns == LAB_REPORT_MAX_CONNS)
		return NULL;
	nc->last = rep->nconns + 1;
	struct conn *c = &rep->conns[rep->nconns++];
	*c = (struct conn){.node = node, .local = ev->local, .peer = ev->peer,
			   .isn = ev->snd_una, .first = ev->time, .min_srtt = -1,
			   .last_ssthresh = UINT32_MAX};
	return c;
}

static void on_trace(void *arg, struct tern_stack *s, const struct tern_tcp_trace_event *ev)
{
	struct node_ctx *nc = arg;
	struct lab_report *rep = nc->rep;
	(void)s;
	struct conn *c = find_conn(rep, nc, ev);
	if (!c) {
		rep->untracked++;
		return;
	}
	bool fresh = c->segs == 0 && c->acks == 0;
	if ((ev->kind == TERN_TCP_TRACE_SEND) && (ev->flags & TERN_TCP_SYN))
		c->isn = ev->seq; /* the ISS: sequence numbers are shown from it */
	c->last = ev->time;
	c->state = ev->state;
	if (ev->state == LINUX_TCP_ESTABLISHED)
		c->established = true;
	if (ev->state == LINUX_TCP_CLOSE)
		c->closed = true;
	c->last_cwnd = ev->cwnd;
	c->last_ssthresh = ev->ssthresh;
	if (ev->cwnd > c->max_cwnd)
		c->max_cwnd = ev->cwnd;
	if (ev->srtt > 0) {
		c->last_srtt = ev->srtt;
		if (c->min_srtt < 0 || ev->srtt < c->min_srtt)
			c->min_srtt = ev->srtt;
		if (ev->srtt > c->max_srtt)
			c->max_srtt = ev->srtt;
	}
	bool data = (ev->kind == TERN_TCP_TRACE_SEND || ev->kind == TERN_TCP_TRACE_RETRANSMIT) &&
		    (ev->len || (ev->flags & (TERN_TCP_SYN | TERN_TCP_FIN)));
	if (ev->kind == TERN_TCP_TRACE_SEND || ev->kind == TERN_TCP_TRACE_RETRANSMIT)
		c->segs++;
	if (ev->kind == TERN_TCP_TRACE_SEND)
		c->data_bytes += ev->len;
	if (ev->kind == TERN_TCP_TRACE_RETRANSMIT)
		c->retrans++;
	if (ev->kind == TERN_TCP_TRACE_ACK_RCVD)
		c->acks++;
	if (!c->plots && ev->len && data && rep->nplotted < LAB_REPORT_MAX_PLOTTED) {
		c->plots = plots_new();
		if (!c->plots)
			rep->oom = true;
		else
			rep->nplotted++;
		fresh = true;
	}
	struct conn_plots *p = c->plots;
	if (!p)
		return;
	double rel = (double)(uint32_t)(ev->seq - c->isn);
	switch (ev->kind) {
	case TERN_TCP_TRACE_SEND:
	case TERN_TCP_TRACE_RETRANSMIT: {
		if (!data)
			break;
		double end = rel + ev->len + ((ev->flags & (TERN_TCP_SYN | TERN_TCP_FIN)) ? 1 : 0);
		lab_series_add_span(ev->kind == TERN_TCP_TRACE_SEND ? &p->seq : &p->retr, ev->time,
				    end, rel, end);
		break;
	}
	case TERN_TCP_TRACE_ACK_RCVD: {
		double a = (double)(uint32_t)(ev->ack - c->isn);
		lab_series_add(&p->ack, ev->time, a);
		lab_series_add(&p->rwin, ev->time, a + ev->window);
		for (unsigned i = 0; i < ev->nsack && i < 4; i++) {
			double l = (double)(uint32_t)(ev->sack[i].left - c->isn);
			double r = (double)(uint32_t)(ev->sack[i].right - c->isn);
			if (r > l && r - l < 1e9) /* a block as the peer sent it */
				lab_series_add_span(&p->sack, ev->time, r, l, r);
		}
		break;
	}
	case TERN_TCP_TRACE_SRTT:
		lab_series_add(&p->srtt, ev->time, (double)ev->srtt);
		break;
	default:
		break;
	}
	if (fresh || ev->kind == TERN_TCP_TRACE_CWND)
		lab_series_add(&p->cwnd, ev->time, ev->cwnd);
	if ((fresh || ev->kind == TERN_TCP_TRACE_SSTHRESH) && ev->ssthresh != UINT32_MAX)
		lab_series_add(&p->ssthresh, ev->time, ev->ssthresh);
}

struct lab_report *lab_report_create(const struct lab_topo *t, const struct lab_world *w)
{
	struct lab_report *rep = calloc(1, sizeof(*rep));
	if (!rep)
		return NULL;
	rep->t = t;
	rep->w = w;
	rep->ctx = calloc(t->nnodes + 1, sizeof(*rep->ctx));
	rep->conns = calloc(LAB_REPORT_MAX_CONNS, sizeof(*rep->conns));
	if (!rep->ctx || !rep->conns) {
		lab_report_free(rep);
		return NULL;
	}
	for (size_t n = 0; n < t->nnodes; n++) {
		rep->ctx[n] = (struct node_ctx){rep, n, 0};
		if (tern_tcp_set_trace(w->stacks[n], -1, on_trace, &rep->ctx[n]) < 0) {
			lab_report_free(rep);
			return NULL;
		}
	}
	return rep;
}

void lab_report_free(struct lab_report *rep)
{
	if (!rep)
		return;
	for (size_t i = 0; i < rep->nconns; i++)
		plots_free(rep->conns[i].plots);
	free(rep->conns);
	free(rep->ctx);
	free(rep);
}

/* ---- the topology ------------------------------------------------------------------ */

static void dot_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void props_text(const struct lab_props *p, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
#define ADD(...) (n += (size_t)snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__))
	if (p->rate_bps)
		ADD("%s%.6g Mbit/s", n ? ", " : "", (double)p->rate_bps / 1e6);
	if (p->delay)
		ADD("%s%.6g ms", n ? ", " : "", (double)p->delay / 1e6);
	if (p->jitter)
		ADD("%sjitter %.6g ms", n ? ", " : "", (double)p->jitter / 1e6);
	if (p->burst.p > 0)
		ADD("%sbursty loss", n ? ", " : "");
	else if (p->loss > 0)
		ADD("%sloss %.6g%%", n ? ", " : "", p->loss * 100);
	if (p->mtu)
		ADD("%smtu %u", n ? ", " : "", p->mtu);
#undef ADD
}

static void iface_text(const struct lab_iface *f, char *buf, size_t len)
{
	char ip[TERN_IP4_STRLEN];
	if (f->has_addr)
		snprintf(buf, len, "%s %s/%u", f->ifname, tern_ip4_str(f->addr, ip), f->plen);
	else
		snprintf(buf, len, "%s", f->ifname);
}

static int write_dot(const struct lab_topo *t, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs("graph lab {\n\tgraph [rankdir=LR, fontname=\"Helvetica\", bgcolor=\"white\"];\n"
	      "\tnode [fontname=\"Helvetica\", fontsize=11];\n"
	      "\tedge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n", f);
	for (size_t n = 0; n < t->nnets; n++) {
		const struct lab_net *net = &t->nets[n];
		if (net->kind != LAB_NET_SWITCH)
			continue;
		char props[256], label[512], ip[TERN_IP4_STRLEN];
		props_text(&net->props, props, sizeof(props));
		if (net->has_prefix)
			snprintf(label, sizeof(label), "%s\n%s/%u%s%s", net->name,
				 tern_ip4_str(net->prefix, ip), net->plen, *props ? "\n" : "", props);
		else
			snprintf(label, sizeof(label), "%s%s%s", net->name, *props ? "\n" : "", props);
		fprintf(f, "\t\"net:%s\" [shape=box3d, style=filled, fillcolor=\"#e8eef7\", label=",
			net->name);
		dot_str(f, label);
		fputs("];\n", f);
		if (!net->tap)
			continue;
		/* A network bridged to a Linux TAP device (realtime): the
		 * real world's end of it. */
		char tap[128];
		snprintf(tap, sizeof(tap), "TAP %s\n(Linux)", net->tap);
		fprintf(f, "\t\"tap:%s\" [shape=cds, style=filled, fillcolor=\"#dddddd\", label=",
			net->name);
		dot_str(f, tap);
		fprintf(f, "];\n\t\"tap:%s\" -- \"net:%s\" [style=dashed, label=\"bridge\"];\n",
			net->name, net->name);
	}
	for (size_t n = 0; n < t->nnodes; n++) {
		const struct lab_node *nd = &t->nodes[n];
		fprintf(f, "\t\"node:%s\" [shape=%s, style=filled, fillcolor=\"%s\", label=", nd->name,
			nd->router ? "ellipse" : "box", nd->router ? "#fde9c8" : "#ffffff");
		dot_str(f, nd->name);
		fputs("];\n", f);
	}
	for (size_t n = 0; n < t->nnodes; n++) {
		const struct lab_node *nd = &t->nodes[n];
		for (size_t i = 0; i < nd->nifaces; i++) {
			const struct lab_iface *fa = &nd->ifaces[i];
			const struct lab_net *net = &t->nets[fa->net];
			char a[64];
			iface_text(fa, a, sizeof(a));
			if (net->kind == LAB_NET_SWITCH) {
				fprintf(f, "\t\"node:%s\" -- \"net:%s\" [label=", nd->name, net->name);
				dot_str(f, a);
				fputs("];\n", f);
				continue;
			}
			/* a point-to-point link: one edge, drawn from its first end
			 * in file order */
			const struct lab_iface *fb = NULL;
			size_t pn = 0;
			bool first = true;
			for (size_t m = 0; m < t->nnodes; m++)
				for (size_t j = 0; j < t->nodes[m].nifaces; j++) {
					const struct lab_iface *o = &t->nodes[m].ifaces[j];
					if (o->net != fa->net || o == fa)
						continue;
					if (m < n || (m == n && j < i))
						first = false;
					if (!fb) {
						fb = o;
						pn = m;
					}
				}
			if (!fb || !first)
				continue;
			char b[64], props[256], label[512];
			iface_text(fb, b, sizeof(b));
			props_text(&net->props, props, sizeof(props));
			snprintf(label, sizeof(label), "%s %s\n%s%s%s\n%s %s", nd->name, a, net->name,
				 *props ? ": " : "", props, t->nodes[pn].name, b);
			fprintf(f, "\t\"node:%s\" -- \"node:%s\" [label=", nd->name, t->nodes[pn].name);
			dot_str(f, label);
			fputs("];\n", f);
		}
	}
	fputs("}\n", f);
	return fclose(f) == 0 ? 0 : -1;
}

/* dot -Tsvg IN -o OUT. 0 done, 1 dot is not installed, -1 it failed. */
static int run_dot(const char *in, const char *out)
{
	char *argv[] = {"dot", "-Tsvg", "-o", (char *)out, (char *)in, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	extern char **environ;
	int rc = posix_spawnp(&pid, "dot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return rc == ENOENT ? 1 : -1;
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return 1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static char *read_file(const char *path, size_t max, size_t *len, bool *cut)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(max + 1);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	*len = fread(buf, 1, max, f);
	*cut = *len == max && fgetc(f) != EOF;
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* ---- the page --------------------------------------------------------------------- */

static const char STYLE[] =
	"body{font-family:Helvetica,Arial,sans-serif;margin:24px auto;max-width:1100px;"
	"color:#222;padding:0 12px}\n"
	"h1{font-size:24px;margin-bottom:4px}h2{font-size:19px;margin-top:32px;"
	"border-bottom:1px solid #ccc}h3{font-size:15px;margin:22px 0 6px}\n"
	"nav a{margin-right:14px}.note{color:#666}\n"
	"table{border-collapse:collapse;font-size:12px;margin:8px 0}"
	"th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}"
	"th{background:#f2f2f2}td.l,th.l{text-align:left}\n"
	"pre{background:#f8f8f8;border:1px solid #ddd;padding:8px;font-size:12px;"
	"overflow:auto;max-height:640px}\n"
	".topo svg{max-width:100%;height:auto}\n"
	"svg.plot{display:block;margin:6px 0}svg.plot .bg{fill:#fff}"
	"svg.plot .frame{fill:none;stroke:#888}svg.plot .grid path{stroke:#e4e4e4}"
	"svg.plot text{font-family:Helvetica,Arial,sans-serif;font-size:11px;fill:#333}"
	"svg.plot .title{font-size:13px;font-weight:bold}"
	"svg.plot .xt,svg.plot .xl{text-anchor:middle}svg.plot .yt{text-anchor:end}"
	"svg.plot .yl{text-anchor:middle}svg.plot .s{fill:none}\n";

static void h(FILE *f, const char *s)
{
	lab_html_escape(f, s, strlen(s));
}

static void cell_u(FILE *f, uint64_t v)
{
	if (v)
		fprintf(f, "<td>%llu</td>", (unsigned long long)v);
	else
		fputs("<td>0</td>", f);
}

/* The name of a link end: HOST eth0, or the switch's port. */
static void end_names(const struct lab_report *rep, size_t link, char *a, size_t alen, char *b,
		      size_t blen)
{
	const struct lab_topo *t = rep->t;
	size_t node = rep->w->link_node[link], iface = rep->w->link_iface[link];
	if (node == LAB_LINK_TAP) { /* a bridge: iface is the network */
		snprintf(a, alen, "TAP %s (Linux)", t->nets[iface].tap);
		snprintf(b, blen, "switch %s", t->nets[iface].name);
		return;
	}
	const struct lab_iface *f = &t->nodes[node].ifaces[iface];
	const struct lab_net *net = &t->nets[f->net];
	snprintf(a, alen, "%s %s", t->nodes[node].name, f->ifname);
	if (net->kind == LAB_NET_SWITCH) {
		snprintf(b, blen, "switch %s", net->name);
		return;
	}
	snprintf(b, blen, "?");
	for (size_t m = 0; m < t->nnodes; m++)
		for (size_t j = 0; j < t->nodes[m].nifaces; j++) {
			const struct lab_iface *o = &t->nodes[m].ifaces[j];
			if (o->net == f->net && o != f) {
				snprintf(b, blen, "%s %s", t->nodes[m].name, o->ifname);
				return;
			}
		}
}

/* Counters, by name: what the table shows of a link's direction. A new
 * counter in struct tern_link_stats or tern_fault_stats is one line here. */
struct counter {
	const char *name;
	bool fault;              /* from tern_fault_stats, else tern_link_stats */
	size_t off;
};
#define LC(name, field) {name, false, offsetof(struct tern_link_stats, field)}
#define FC(name, field) {name, true, offsetof(struct tern_fault_stats, field)}
static const struct counter COUNTERS[] = {
	LC("frames sent", tx_frames),         LC("bytes sent", tx_bytes),
	LC("frames delivered", rx_frames),    LC("bytes delivered", rx_bytes),
	FC("lost (loss)", dropped),           FC("of them in bursts", burst_dropped),
	LC("dropped: queue full", drop_queue_full), LC("dropped: too big", drop_too_big),
	LC("dropped: link cut", drop_down),   LC("dropped: no memory", drop_nomem),
	FC("duplicated", duplicated),         FC("corrupted", corrupted),
	FC("reordered", reordered),           LC("queue peak (bytes)", backlog_peak_bytes),
	LC("on the wire, peak (frames)", queued_peak_frames),
	LC("CE marked (RED)", ecn_marked),    LC("dropped: RED early", drop_early),
	LC("dropped: RED forced", drop_forced), FC("CE marked (fault)", ce_marked),
};
#define NCOUNTERS (sizeof(COUNTERS) / sizeof(COUNTERS[0]))

static uint64_t counter_value(const struct counter *c, const struct tern_link_stats *ls,
			      const struct tern_fault_stats *fs)
{
	const char *base = c->fault ? (const char *)fs : (const char *)ls;
	uint64_t v;
	memcpy(&v, base + c->off, sizeof(v));
	return v;
}

static void write_links(FILE *f, const struct lab_report *rep)
{
	const struct lab_topo *t = rep->t;
	const struct lab_world *w = rep->w;
	fputs("<h2 id=\"links\">Links</h2>\n<p class=\"note\">Each row is one direction of one "
	      "simulated link (a switch's network has a link per interface, to its port). "
	      "Counters that are zero on every row are left out.</p>\n", f);
	/* the columns worth showing */
	bool show[NCOUNTERS] = {0};
	size_t nlinks = tern_sim_link_count(w->sim);
	for (size_t l = 0; l < nlinks; l++)
		for (int side = 0; side < 2; side++) {
			struct tern_link_stats ls;
			struct tern_fault_stats fs;
			if (tern_sim_link_stats(w->sim, l, side, &ls) < 0 ||
			    tern_sim_link_fault_stats(w->sim, l, side, &fs) < 0)
				continue;
			for (size_t k = 0; k < NCOUNTERS; k++)
				if (k < 4 || counter_value(&COUNTERS[k], &ls, &fs))
					show[k] = true;
		}
	size_t nsw = 0; /* lab/build.c makes a switch per switch network, in file order */
	for (size_t n = 0; n < t->nnets; n++) {
		const struct lab_net *net = &t->nets[n];
		char props[256];
		props_text(&net->props, props, sizeof(props));
		fputs("<h3>", f);
		h(f, net->name);
		fprintf(f, " <span class=\"note\">(%s%s", net->kind == LAB_NET_SWITCH ? "switch" :
			"point-to-point link", *props ? ": " : "");
		h(f, props);
		fputs(")</span></h3>\n", f);
		struct tern_switch *sw = net->kind == LAB_NET_SWITCH ?
			tern_sim_switch_get(w->sim, nsw++) : NULL;
		if (sw) {
			struct tern_switch_stats ss;
			tern_switch_get_stats(sw, &ss);
			fprintf(f, "<p class=\"note\">The switch forwarded %llu frames to a learned port, "
				"flooded %llu (%llu of them unicast to an unknown address), filtered %llu; "
				"learned %llu stations (%llu moved, %llu aged out); its table holds %llu "
				"(at most %llu).</p>\n", (unsigned long long)ss.forwarded,
				(unsigned long long)ss.flooded, (unsigned long long)ss.flooded_unknown,
				(unsigned long long)ss.filtered, (unsigned long long)ss.learned,
				(unsigned long long)ss.moved, (unsigned long long)ss.aged,
				(unsigned long long)ss.table_size, (unsigned long long)ss.table_peak);
		}
		fputs("<table><tr><th class=\"l\">from</th><th class=\"l\">to</th>", f);
		for (size_t k = 0; k < NCOUNTERS; k++)
			if (show[k]) {
				fputs("<th>", f);
				h(f, COUNTERS[k].name);
				fputs("</th>", f);
			}
		fputs("</tr>\n", f);
		for (size_t k = 0; k < w->net_nlinks[n]; k++) {
			size_t l = w->net_links[n][k];
			char a[128], b[128];
			end_names(rep, l, a, sizeof(a), b, sizeof(b));
			for (int side = 0; side < 2; side++) {
				struct tern_link_stats ls;
				struct tern_fault_stats fs;
				if (tern_sim_link_stats(w->sim, l, side, &ls) < 0 ||
				    tern_sim_link_fault_stats(w->sim, l, side, &fs) < 0)
					continue;
				fputs("<tr><td class=\"l\">", f);
				h(f, side ? b : a);
				fputs("</td><td class=\"l\">", f);
				h(f, side ? a : b);
				fputs("</td>", f);
				for (size_t c = 0; c < NCOUNTERS; c++)
					if (show[c])
						cell_u(f, counter_value(&COUNTERS[c], &ls, &fs));
				fputs("</tr>\n", f);
			}
		}
		fputs("</table>\n", f);
	}
}

static void conn_name(const struct lab_report *rep, const struct conn *c, char *buf, size_t len)
{
	char l[TERN_IP4_STRLEN], p[TERN_IP4_STRLEN];
	snprintf(buf, len, "%s %s:%u \xe2\x86\x92 %s:%u", rep->t->nodes[c->node].name,
		 tern_ip4_str(c->local.addr, l), c->local.port, tern_ip4_str(c->peer.addr, p),
		 c->peer.port);
}

static void ms_cell(FILE *f, tern_time_t t)
{
	if (t < 0)
		fputs("<td>-</td>", f);
	else
		fprintf(f, "<td>%.3f</td>", (double)t / TERN_MSEC(1));
}

static int write_tcp(FILE *f, const struct lab_report *rep)
{
	fputs("<h2 id=\"tcp\">TCP connections</h2>\n", f);
	if (!rep->nconns) {
		fputs("<p class=\"note\">No TCP connection in this run.</p>\n", f);
		return 0;
	}
	fprintf(f, "<p class=\"note\">Each end of each connection, as its host's trace saw it "
		"(sequence numbers relative to that end's initial one). The first %d ends that "
		"sent data are plotted.%s</p>\n", LAB_REPORT_MAX_PLOTTED,
		rep->untracked ? " Some connections were past the report's bound and are not "
				 "listed." : "");
	fputs("<table><tr><th>#</th><th class=\"l\">host: local \xe2\x86\x92 peer</th><th>from (s)"
	      "</th><th>to (s)</th><th>last state</th><th>data bytes sent</th><th>segments</th>"
	      "<th>retransmitted</th><th>ACKs received</th><th>cwnd max</th><th>srtt min (ms)</th>"
	      "<th>srtt max (ms)</th></tr>\n", f);
	static const char *const states[] = {"?", "ESTABLISHED", "SYN-SENT", "SYN-RECV",
					     "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSE",
					     "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING"};
	size_t *half = calloc(rep->t->nnodes + 1, sizeof(*half));
	for (size_t i = 0; i < rep->nconns; i++) {
		const struct conn *c = &rep->conns[i];
		if (!c->established && !c->plots) {
			if (half)
				half[c->node]++;
			continue;
		}
		char name[160];
		conn_name(rep, c, name, sizeof(name));
		fprintf(f, "<tr><td>%zu</td><td class=\"l\">", i + 1);
		if (c->plots)
			fprintf(f, "<a href=\"#tcp%zu\">", i + 1);
		h(f, name);
		if (c->plots)
			fputs("</a>", f);
		fprintf(f, "</td><td>%.6f</td><td>%.6f</td><td>%s</td>", (double)c->first / TERN_SEC(1),
			(double)c->last / TERN_SEC(1), c->state < 12 ? states[c->state] : "?");
		cell_u(f, c->data_bytes);
		cell_u(f, c->segs);
		cell_u(f, c->retrans);
		cell_u(f, c->acks);
		cell_u(f, c->max_cwnd);
		ms_cell(f, c->min_srtt);
		ms_cell(f, c->max_srtt > 0 ? c->max_srtt : -1);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
	for (size_t n = 0; half && n < rep->t->nnodes; n++)
		if (half[n]) {
			fputs("<p class=\"note\">", f);
			h(f, rep->t->nodes[n].name);
			fprintf(f, ": %zu more connection%s never established (a SYN that got no "
				"answer, or a SYN-RECV that got no ACK: half-open), not listed.</p>\n",
				half[n], half[n] == 1 ? "" : "s");
		}
	free(half);
	for (size_t i = 0; i < rep->nconns; i++) {
		const struct conn *c = &rep->conns[i];
		struct conn_plots *p = c->plots;
		if (!p)
			continue;
		char name[160];
		conn_name(rep, c, name, sizeof(name));
		fprintf(f, "<h3 id=\"tcp%zu\">%zu. ", i + 1, i + 1);
		h(f, name);
		fprintf(f, "</h3>\n<p class=\"note\">%llu data bytes in %llu segments, %llu "
			"retransmitted; plotted from %llu segment and %llu ACK events, %llu SACK "
			"blocks.</p>\n",
			(unsigned long long)c->data_bytes, (unsigned long long)c->segs,
			(unsigned long long)c->retrans,
			(unsigned long long)(p->seq.added + p->retr.added),
			(unsigned long long)p->ack.added, (unsigned long long)p->sack.added);
		tern_time_t t0 = c->first, t1 = c->last > c->first ? c->last : c->first + 1;
		struct lab_plot_series ts[] = {
			{&p->rwin, "receive window", "#d4a017", LAB_DRAW_STEP},
			{&p->ack, "ACKed", "#2ca02c", LAB_DRAW_STEP},
			{&p->sack, "SACKed", "#9467bd", LAB_DRAW_BARS},
			{&p->seq, "sent", "#1f4fb4", LAB_DRAW_BARS},
			{&p->retr, "retransmitted", "#d62728", LAB_DRAW_MARKS},
		};
		/* the window's edge may be far above what was sent: it is
		 * clipped, the scale is the data's */
		double ymax = 0;
		for (size_t k = 1; k < 5; k++)
			for (size_t j = 0; j < ts[k].s->n; j++)
				if (ts[k].s->pt[j].hi > ymax)
					ymax = ts[k].s->pt[j].hi;
		double ys = ymax >= 4e6 ? 1e6 : ymax >= 4e3 ? 1e3 : 1;
		struct lab_plot tp = {
			.title = "time-sequence graph", .xlabel = "time (s)",
			.ylabel = ys == 1e6 ? "sequence (MB)" : ys == 1e3 ? "sequence (kB)" :
				  "sequence (bytes)",
			.t0 = t0, .t1 = t1, .ymin = 0, .ymax = ymax > 0 ? ymax * 1.05 : 1,
			.yscale = ys, .series = ts, .nseries = 5,
			.width = 1000, .height = 380,
		};
		if (lab_plot_svg(f, &tp) < 0)
			return -1;
		struct lab_plot_series cs[] = {
			{&p->cwnd, "cwnd", "#1f77b4", LAB_DRAW_STEP},
			{&p->ssthresh, "ssthresh", "#ff7f0e", LAB_DRAW_STEP},
		};
		double cmax = 0;
		for (size_t j = 0; j < p->cwnd.n; j++)
			if (p->cwnd.pt[j].hi > cmax)
				cmax = p->cwnd.pt[j].hi;
		/* ssthresh starts "infinite" for Linux's reno; its first real
		 * value may be far above cwnd: scale to both, but not past 4x */
		for (size_t j = 0; j < p->ssthresh.n; j++)
			if (p->ssthresh.pt[j].hi > cmax && p->ssthresh.pt[j].hi < 4 * cmax + 1)
				cmax = p->ssthresh.pt[j].hi;
		double cs_scale = cmax >= 4e6 ? 1e6 : cmax >= 4e3 ? 1e3 : 1;
		struct lab_plot cp = {
			.title = "congestion window and slow-start threshold", .xlabel = "time (s)",
			.ylabel = cs_scale == 1e6 ? "MB" : cs_scale == 1e3 ? "kB" : "bytes",
			.t0 = t0, .t1 = t1, .ymin = 0, .ymax = cmax > 0 ? cmax : 1,
			.yscale = cs_scale, .series = cs, .nseries = 2, .width = 1000, .height = 300,
		};
		if (lab_plot_svg(f, &cp) < 0)
			return -1;
		struct lab_plot_series rs[] = {
			{&p->srtt, "srtt", "#9467bd", LAB_DRAW_LINE},
		};
		struct lab_plot rp = {
			.title = "smoothed round-trip time", .xlabel = "time (s)", .ylabel = "ms",
			.t0 = t0, .t1 = t1, .yscale = TERN_MSEC(1), .series = rs, .nseries = 1,
			.width = 1000, .height = 260,
		};
		if (lab_plot_svg(f, &rp) < 0)
			return -1;
	}
	return 0;
}

static void write_topology(FILE *f, const char *out_dir, const char *dotpath)
{
	char svg[4096];
	snprintf(svg, sizeof(svg), "%s/topology.svg", out_dir);
	fputs("<h2 id=\"topology\">Topology</h2>\n", f);
	int rc = run_dot(dotpath, svg);
	if (rc == 1) {
		fputs("<p class=\"note\">The topology is not drawn: Graphviz's <code>dot</code> is not "
		      "installed (<code>apt-get install graphviz</code>). Its input is "
		      "<code>topology.dot</code> in the run's directory.</p>\n", f);
		return;
	}
	size_t len = 0;
	bool cut = false;
	char *text = rc == 0 ? read_file(svg, 8u << 20, &len, &cut) : NULL;
	char *start = text ? strstr(text, "<svg") : NULL;
	if (!start || cut) {
		fputs("<p class=\"note\">The topology is not drawn: <code>dot -Tsvg topology.dot</code> "
		      "failed.</p>\n", f);
		free(text);
		return;
	}
	fputs("<div class=\"topo\">\n", f);
	fwrite(start, 1, len - (size_t)(start - text), f);
	fputs("</div>\n", f);
	free(text);
}

int lab_report_write(struct lab_report *rep, const char *out_dir, const char *transcript_path,
		     uint64_t seed, tern_time_t end, char *err, size_t errlen)
{
	const struct lab_topo *t = rep->t;
	char dotpath[4096], path[4096];
	snprintf(dotpath, sizeof(dotpath), "%s/topology.dot", out_dir);
	snprintf(path, sizeof(path), "%s/report.html", out_dir);
	if (write_dot(t, dotpath) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", dotpath, strerror(errno));
		return -1;
	}
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
	h(f, t->name);
	fprintf(f, " \xe2\x80\x94 tern lab report</title>\n<style>\n%s</style>\n</head>\n<body>\n",
		STYLE);
	fputs("<h1>", f);
	h(f, t->name);
	size_t nifs = 0;
	for (size_t n = 0; n < t->nnodes; n++)
		nifs += t->nodes[n].nifaces;
	fputs("</h1>\n<p>", f);
	fprintf(f, "%zu hosts and routers, %zu networks, %zu interfaces, %zu steps; seed %llu; "
		"the run ended at virtual time %.6f s.</p>\n", t->nnodes, t->nnets, nifs, t->nsteps,
		(unsigned long long)seed, (double)end / TERN_SEC(1));
	fputs("<nav><a href=\"#topology\">Topology</a><a href=\"#links\">Links</a>"
	      "<a href=\"#tcp\">TCP</a><a href=\"#transcript\">Transcript</a></nav>\n", f);
	write_topology(f, out_dir, dotpath);
	write_links(f, rep);
	if (write_tcp(f, rep) < 0)
		goto werr;
	fputs("<h2 id=\"transcript\">Transcript</h2>\n", f);
	size_t len = 0;
	bool cut = false;
	char *text = read_file(transcript_path, TRANSCRIPT_MAX, &len, &cut);
	if (!text) {
		fputs("<p class=\"note\">The transcript could not be read.</p>\n", f);
	} else {
		fputs("<pre>", f);
		lab_html_escape(f, text, len);
		fputs("</pre>\n", f);
		if (cut)
			fprintf(f, "<p class=\"note\">The transcript goes on past its first %u MiB: "
				"the rest is in transcript.txt.</p>\n", TRANSCRIPT_MAX >> 20);
		free(text);
	}
	if (rep->oom)
		fputs("<p class=\"note\">Out of memory: some connections are not plotted.</p>\n", f);
	fputs("</body>\n</html>\n", f);
	if (ferror(f))
		goto werr;
	if (fclose(f) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
werr:
	fclose(f);
	snprintf(err, errlen, "cannot write %s", path);
	return -1;
}
