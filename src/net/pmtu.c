/*
 * net/pmtu.c — the per-destination path-MTU cache (see pmtu.h).
 *
 * Lookups are a hash and at most TERN_PMTU_WAYS compares; expired entries
 * are treated as absent and reused, so no timer runs. Memory is one
 * allocation, made with the first entry learnt.
 */
#include <stdlib.h>

#include "core/rng.h"
#include "core/stack_impl.h"
#include "net/net.h"
#include "net/pmtu.h"

void tern_pmtu_init(struct tern_stack *s)
{
	struct tern_pmtu_table *t = &s->net->pmtu;
	t->key = tern_rng_next(&s->rng) | 1;
	unsigned n = s->cfg->pmtu_cache_size / TERN_PMTU_WAYS;
	t->nsets = n ? n : 1;
}

void tern_pmtu_fini(struct tern_stack *s)
{
	free(s->net->pmtu.e);
	s->net->pmtu.e = NULL;
	s->net->pmtu.count = 0;
}

void tern_pmtu_flush(struct tern_stack *s)
{
	struct tern_pmtu_table *t = &s->net->pmtu;
	if (t->e)
		memset(t->e, 0, (size_t)t->nsets * TERN_PMTU_WAYS * sizeof(*t->e));
	t->count = 0;
}

static struct tern_pmtu_entry *set_of(struct tern_pmtu_table *t, tern_ip4_t dst)
{
	uint64_t h = ((uint64_t)dst ^ t->key) * 0x9e3779b97f4a7c15ull;
	return &t->e[(h >> 32) % t->nsets * TERN_PMTU_WAYS];
}

static struct tern_pmtu_entry *find(struct tern_stack *s, tern_ip4_t dst, tern_time_t now)
{
	struct tern_pmtu_table *t = &s->net->pmtu;
	if (!t->e || !dst)
		return NULL;
	struct tern_pmtu_entry *set = set_of(t, dst);
	for (int i = 0; i < TERN_PMTU_WAYS; i++) {
		if (set[i].dst != dst)
			continue;
		if (now >= set[i].expires) { /* net.ipv4.route.mtu_expires passed */
			set[i].dst = 0;
			t->count--;
			return NULL;
		}
		return &set[i];
	}
	return NULL;
}

uint32_t tern_pmtu_get(struct tern_stack *s, tern_ip4_t dst, tern_time_t now)
{
	struct tern_pmtu_entry *e = find(s, dst, now);
	return e ? e->mtu : 0;
}

uint32_t tern_pmtu_path(struct tern_stack *s, tern_ip4_t dst, tern_time_t now)
{
	struct tern_route_result rt;
	if (tern_ipv4_route(s, dst, 0, &rt) < 0)
		return 0;
	struct tern_iface *ifc = tern_iface_get(s, rt.ifindex);
	uint32_t mtu = ifc ? ifc->mtu : 0;
	if (ifc && !ifc->loopback) {
		uint32_t p = tern_pmtu_get(s, dst, now);
		if (p && p < mtu)
			mtu = p;
	}
	return mtu;
}

uint32_t tern_ip_path_mtu(struct tern_stack *s, tern_ip4_t dst)
{
	return tern_pmtu_path(s, dst, s->now);
}

/* RFC 1191 §7, table 7-1's plateaus. */
static const uint16_t plateaus[] = {32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68};

uint32_t tern_pmtu_plateau(uint32_t len)
{
	for (size_t i = 0; i < sizeof(plateaus) / sizeof(plateaus[0]); i++)
		if (plateaus[i] < len)
			return plateaus[i];
	return 68;
}

/* A slot for dst in its set: a free or expired one, else the set's
 * oldest (the table is full there: counted). */
static struct tern_pmtu_entry *slot(struct tern_stack *s, tern_ip4_t dst, tern_time_t now)
{
	struct tern_pmtu_table *t = &s->net->pmtu;
	if (!t->e && !(t->e = calloc((size_t)t->nsets * TERN_PMTU_WAYS, sizeof(*t->e))))
		return NULL;
	struct tern_pmtu_entry *set = set_of(t, dst), *victim = NULL;
	for (int i = 0; i < TERN_PMTU_WAYS; i++) {
		if (set[i].dst == 0 || now >= set[i].expires) {
			if (set[i].dst)
				t->count--;
			set[i].dst = 0;
			return &set[i];
		}
		if (!victim || set[i].learnt < victim->learnt)
			victim = &set[i];
	}
	tern_stat_inc(s, TERN_STAT_IP_PMTU_CACHE_FULL);
	victim->dst = 0;
	t->count--;
	return victim;
}

uint32_t tern_pmtu_learn(struct tern_stack *s, tern_ip4_t dst, uint32_t mtu, uint32_t quoted_len,
			 tern_time_t now)
{
	/* RFC 1191 §4: a reported MTU the datagram fitted in is bogus; §7:
	 * an old router reports none, so take the plateau below the
	 * datagram's size. */
	if (mtu == 0)
		mtu = tern_pmtu_plateau(quoted_len);
	else if (quoted_len && mtu >= quoted_len) {
		tern_stat_inc(s, TERN_STAT_IP_PMTU_BOGUS);
		return 0;
	}
	/* Linux's __ip_rt_update_pmtu: never below route.min_pmtu. With
	 * ip_no_pmtu_disc 1 the path is only ever set to min_pmtu. */
	if (mtu < s->cfg->pmtu_min || s->cfg->ip_no_pmtu_disc == 1)
		mtu = s->cfg->pmtu_min;
	uint32_t cur = tern_pmtu_path(s, dst, now);
	if (cur == 0)
		return 0;
	if (mtu >= cur) {
		/* RFC 1191 §3: never raised by a message. The entry's age is
		 * refreshed when it says the same again. */
		struct tern_pmtu_entry *e = find(s, dst, now);
		if (e && e->mtu == mtu)
			e->expires = now + s->cfg->pmtu_expires;
		return cur;
	}
	struct tern_pmtu_entry *e = find(s, dst, now);
	if (!e) {
		e = slot(s, dst, now);
		if (!e)
			return 0;
		e->dst = dst;
		s->net->pmtu.count++;
	}
	e->mtu = (uint16_t)mtu;
	e->learnt = now;
	e->expires = now + s->cfg->pmtu_expires;
	tern_stat_inc(s, TERN_STAT_IP_PMTU_UPDATES);
	return mtu;
}
