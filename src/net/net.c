/*
 * net/net.c — the network layer's state: made and freed with the stack,
 * and the table of transports above IP (see net.h).
 */
#include <stdlib.h>

#include "core/rng.h"
#include "core/stack_impl.h"
#include "net/net.h"

int tern_net_init(struct tern_stack *s, struct tern_net *net)
{
	s->net = net;
	s->net->ip_id = (uint16_t)tern_rng_next(&s->rng);
	s->net->icmp_tokens_milli = (uint64_t)s->cfg->icmp_ratelimit_burst * 1000;
	tern_reasm_init(s);
	tern_pmtu_init(s);
	return 0;
}

void tern_net_fini(struct tern_stack *s)
{
	if (!s->net)
		return;
	tern_reasm_fini(s);
	tern_pmtu_fini(s);
	tern_pkt_queue_purge(&s->pool, &s->net->loopback);
	tern_route_table_fini(&s->net->routes);
	free(s->net->route_memo);
	free(s->net->icmp_peers);
	free(s->net->icmp_listeners);
	s->net = NULL;
}

int tern_net_add_proto(struct tern_stack *s, const struct tern_ip_proto *p)
{
	struct tern_net *n = s->net;
	if (tern_net_proto(s, p->proto))
		return TERN_EEXIST;
	if (n->n_protos == TERN_NET_MAX_PROTOS)
		return TERN_ENOSPC;
	n->protos[n->n_protos++] = p;
	return 0;
}

const struct tern_ip_proto *tern_net_proto(const struct tern_stack *s, uint8_t proto)
{
	const struct tern_net *n = s->net;
	for (unsigned i = 0; i < n->n_protos; i++)
		if (n->protos[i]->proto == proto)
			return n->protos[i];
	return NULL;
}
