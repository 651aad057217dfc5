/*
 * lab/build.c — a checked lab model (lab/topo.h) made real on the
 * simulator (tern/sim.h): a stack per host or router, a learning switch
 * per Ethernet network, a simulated link per interface (host to switch
 * port, or the two ends of a point-to-point network), addresses, and the
 * static routes and gateways.
 *
 * Creation order is file order (networks, then hosts, then routers, each
 * interface in turn), so the simulator's seeds, MAC addresses and
 * interface names follow the file and the same file builds the same
 * network every time. A point-to-point network is connected when its
 * first interface comes up in that order, so the far end's interface
 * number may come before its place in its own list; the builder records
 * every interface's real name (eth0, eth1 ...) in the model.
 */
#include <stdlib.h>
#include <string.h>

#include "lab/lab.h"
#include "tern/err.h"

void lab_link_opts(const struct lab_props *p, struct tern_sim_link_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->rate_bps = p->rate_bps;
	o->delay = p->delay;
	o->mtu = p->mtu;
	o->loss = p->loss;
	o->burst = p->burst;
	o->duplicate = p->duplicate;
	o->corrupt = p->corrupt;
	o->reorder = p->reorder;
	o->jitter = p->jitter;
	o->queue_bytes = p->queue_bytes;
	o->qdisc = p->qdisc;
	o->red = p->red;
	/* jitter varies the delay along one wire; reordering is its own
	 * property (reorder:) */
	o->jitter_keeps_order = true;
}

void lab_world_free(struct lab_world *w)
{
	tern_simrt_destroy(w->rt); /* before the simulation: its links stay the sim's */
	if (w->sim)
		tern_sim_destroy(w->sim);
	for (size_t i = 0; i < w->nnets; i++)
		free(w->net_links ? w->net_links[i] : NULL);
	free(w->net_links);
	free(w->net_nlinks);
	free(w->link_node);
	free(w->link_iface);
	free(w->stacks);
	memset(w, 0, sizeof(*w));
}

static int add_link(struct lab_world *w, size_t net, size_t node, size_t iface)
{
	size_t *l = realloc(w->net_links[net], (w->net_nlinks[net] + 1) * sizeof(*l));
	if (!l)
		return -1;
	size_t id = tern_sim_link_count(w->sim) - 1;
	l[w->net_nlinks[net]++] = id;
	w->net_links[net] = l;
	size_t *a = realloc(w->link_node, (id + 1) * sizeof(*a));
	if (!a)
		return -1;
	w->link_node = a;
	size_t *b = realloc(w->link_iface, (id + 1) * sizeof(*b));
	if (!b)
		return -1;
	w->link_iface = b;
	a[id] = node;
	b[id] = iface;
	return 0;
}

static char *addr_str(const struct lab_iface *f, char *buf, size_t len)
{
	char ip[TERN_IP4_STRLEN];
	if (!f->has_addr)
		return NULL;
	snprintf(buf, len, "%s/%u", tern_ip4_str(f->addr, ip), f->plen);
	return buf;
}

/* Realtime: the pacer, then a bridge per tap, last so that every other
 * link keeps the number (and so the seeds) it has without one. */
static int build_realtime(const struct lab_topo *t, struct lab_world *w,
			  struct tern_switch **sw, const bool *impairable, char *err,
			  size_t errlen)
{
	if (!(w->rt = tern_simrt_create(w->sim))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t n = 0; n < t->nnets; n++) {
		const struct lab_net *net = &t->nets[n];
		if (!net->tap)
			continue;
		struct tern_sim_link_opts o;
		lab_link_opts(&net->props, &o);
		o.impairable = impairable && impairable[n];
		int rc = tern_simrt_bridge_tap(w->rt, sw[n], net->tap, net->name, &o);
		if (rc < 0) {
			snprintf(err, errlen, "cannot bridge network %s to TAP %s: %s%s", net->name,
				 net->tap, tern_strerror(rc),
				 rc == TERN_EPERM || rc == TERN_EACCES ?
				 " (TAP devices need CAP_NET_ADMIN: run as root, or "
				 "create it first with 'ip tuntap add dev IF mode tap user YOU')" : "");
			return -1;
		}
		if (add_link(w, n, LAB_LINK_TAP, n) < 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

int lab_build(const struct lab_topo *t, uint64_t seed, const char *capture_dir,
	      const bool *impairable, struct lab_world *w, char *err, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	struct tern_switch **sw = calloc(t->nnets + 1, sizeof(*sw));
	unsigned *nifs = calloc(t->nnodes + 1, sizeof(*nifs));
	w->sim = tern_sim_create(seed);
	w->stacks = calloc(t->nnodes + 1, sizeof(*w->stacks));
	w->net_links = calloc(t->nnets + 1, sizeof(*w->net_links));
	w->net_nlinks = calloc(t->nnets + 1, sizeof(*w->net_nlinks));
	w->nnets = t->nnets;
	if (!sw || !nifs || !w->sim || !w->stacks || !w->net_links || !w->net_nlinks) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (capture_dir)
		tern_sim_capture(w->sim, capture_dir);

	for (size_t n = 0; n < t->nnets; n++) {
		if (t->nets[n].kind != LAB_NET_SWITCH)
			continue;
		/* a bridged network's TAP takes one more port */
		sw[n] = tern_sim_switch(w->sim, t->nets[n].name,
					t->nets[n].nifaces + (t->realtime && t->nets[n].tap));
		if (!sw[n]) {
			snprintf(err, errlen, "cannot create the switch of network %s",
				 t->nets[n].name);
			goto fail;
		}
	}
	for (size_t n = 0; n < t->nnodes; n++) {
		const struct lab_node *nd = &t->nodes[n];
		struct tern_stack_config cfg;
		tern_stack_config_init(&cfg);
		cfg.icmp_frag_needed = !nd->no_frag_needed;
		w->stacks[n] = nd->router ? tern_sim_router(w->sim, nd->name, &cfg)
					  : tern_sim_host(w->sim, nd->name, NULL);
		if (!w->stacks[n]) {
			snprintf(err, errlen, "cannot create %s", nd->name);
			goto fail;
		}
		for (size_t i = 0; i < nd->nsysctls; i++)
			if (tern_sysctl_set(w->stacks[n], nd->sysctls[i].name,
					    nd->sysctls[i].value) < 0) {
				snprintf(err, errlen, "%s: cannot set %s", nd->name,
					 nd->sysctls[i].name);
				goto fail;
			}
	}

	/* The model is const for callers; the interface names it records are
	 * the builder's output. */
	struct lab_topo *mt = (struct lab_topo *)t;
	for (size_t n = 0; n < t->nnodes; n++) {
		struct lab_node *nd = &mt->nodes[n];
		for (size_t i = 0; i < nd->nifaces; i++) {
			struct lab_iface *f = &nd->ifaces[i];
			if (f->ifname[0])
				continue; /* the far end of a link already made */
			const struct lab_net *net = &t->nets[f->net];
			struct tern_sim_link_opts o;
			lab_link_opts(&net->props, &o);
			o.impairable = impairable && impairable[f->net];
			char a[32], b[32];
			int rc;
			if (net->kind == LAB_NET_SWITCH) {
				rc = tern_sim_connect_switch(w->sim, w->stacks[n],
							     addr_str(f, a, sizeof(a)), sw[f->net],
							     &o, NULL);
				snprintf(f->ifname, sizeof(f->ifname), "eth%u", nifs[n]++);
			} else {
				/* the other interface on this link */
				struct lab_iface *peer = NULL;
				size_t pn = 0;
				for (size_t m = 0; m < t->nnodes && !peer; m++)
					for (size_t j = 0; j < t->nodes[m].nifaces; j++)
						if (t->nodes[m].ifaces[j].net == f->net &&
						    (m != n || j != i)) {
							peer = &mt->nodes[m].ifaces[j];
							pn = m;
							break;
						}
				if (!peer) {
					snprintf(err, errlen, "link %s has one end", net->name);
					goto fail;
				}
				rc = tern_sim_connect(w->sim, w->stacks[n], addr_str(f, a, sizeof(a)),
						      w->stacks[pn], addr_str(peer, b, sizeof(b)),
						      &o, NULL, NULL);
				snprintf(f->ifname, sizeof(f->ifname), "eth%u", nifs[n]++);
				snprintf(peer->ifname, sizeof(peer->ifname), "eth%u", nifs[pn]++);
			}
			if (rc < 0) {
				snprintf(err, errlen, "cannot connect %s to %s: %s", nd->name,
					 net->name, tern_strerror(rc));
				goto fail;
			}
			if (add_link(w, f->net, n, i) < 0) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
		}
	}
	for (size_t n = 0; n < t->nnodes; n++) {
		const struct lab_node *nd = &t->nodes[n];
		for (size_t r = 0; r < nd->nroutes; r++) {
			const struct lab_route *rt = &nd->routes[r];
			int rc = tern_route_add(w->stacks[n], rt->to, rt->plen, rt->via, 0, 0);
			if (rc < 0) {
				char ip[TERN_IP4_STRLEN], via[TERN_IP4_STRLEN];
				snprintf(err, errlen, "%s: cannot add the route to %s/%u via %s: %s",
					 nd->name, tern_ip4_str(rt->to, ip), rt->plen,
					 tern_ip4_str(rt->via, via), tern_strerror(rc));
				goto fail;
			}
		}
	}
	if (t->realtime && build_realtime(t, w, sw, impairable, err, errlen) < 0)
		goto fail;
	free(sw);
	free(nifs);
	return 0;
fail:
	free(sw);
	free(nifs);
	lab_world_free(w);
	return -1;
}
