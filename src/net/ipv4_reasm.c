/*
 * net/ipv4_reasm.c — IPv4 reassembly (RFC 791 §3.2; RFC 1122 §3.3.2).
 *
 * Fragments of one datagram (same src, dst, protocol, identification) are
 * kept as packets in a list sorted by offset. Rules:
 *   - an exact duplicate of a held fragment is discarded, nothing else;
 *   - any other overlap discards the whole datagram (as RFC 5722 requires
 *     for IPv6 and Linux does for IPv4: overlaps are an attack, not a
 *     retransmission);
 *   - the reassembled datagram may not exceed 65535 bytes;
 *   - each datagram holds at most reasm_max_frags fragments;
 *   - all datagrams together are charged to the reassembly budget (every
 *     fragment's true buffer size, every record's size). When a fragment
 *     would take it past reasm_high_thresh, the oldest datagrams are
 *     evicted until it fits under reasm_low_thresh (as Linux's evictor
 *     did before 4.17): a flood of first fragments displaces itself
 *     instead of holding the host's buffers for the 30 s timeout, and a
 *     legitimate fragmented datagram arriving afterwards is reassembled;
 *   - reasm_timeout after the first fragment arrived, an incomplete
 *     datagram is discarded, with ICMP time exceeded (code 1) to the
 *     sender if fragment zero was among those received.
 *
 * Datagrams are found by a hash keyed with a per-stack secret, so a peer
 * cannot aim its fragments at one bucket.
 */
#include <stdlib.h>

#include "wire/checksum.h"
#include "core/rng.h"
#include "core/stack_impl.h"
#include "net/net.h"
#include "net/icmp.h"

struct tern_reasm {
	struct tern_reasm *older, *newer;  /* the age list */
	struct tern_reasm *hnext;          /* hash bucket chain */
	tern_ip4_t src, dst;
	uint16_t id;
	uint8_t proto;
	bool have_last;
	uint32_t total;           /* payload length, known once the last fragment came */
	unsigned nfrags;
	struct tern_pkt *frags;   /* sorted by offset; data = the fragment's IP header */
	struct tern_timer timer;
};

struct frag_range {
	uint32_t hlen, off, end;
};

static struct frag_range range_of(const struct tern_pkt *p)
{
	const uint8_t *h = tern_pkt_data(p);
	uint32_t hlen = (uint32_t)tern_ipv4_hdr_len(h);
	uint32_t off = (uint32_t)(rd16(h + 6) & TERN_IPV4_FRAG_MASK) * 8;
	return (struct frag_range){hlen, off, off + p->len - hlen};
}

/* Records of finished datagrams are kept, up to this many, so steady
 * fragmented traffic allocates nothing. */
#define REASM_SPARE_MAX 16

static struct tern_reasm **bucket_of(struct tern_stack *s, tern_ip4_t src, tern_ip4_t dst,
				     uint16_t id, uint8_t proto)
{
	uint64_t k = ((uint64_t)src << 32 | dst) ^ s->net->reasm->key;
	uint64_t h = tern_mix64(tern_mix64(k) ^ ((uint64_t)id << 8 | proto));
	return &s->net->reasm->buckets[h % TERN_REASM_BUCKETS];
}

static void unlink_record(struct tern_stack *s, struct tern_reasm *r)
{
	struct tern_reasm **link = bucket_of(s, r->src, r->dst, r->id, r->proto);
	while (*link != r)
		link = &(*link)->hnext;
	*link = r->hnext;
	if (r->older)
		r->older->newer = r->newer;
	else
		s->net->reasm->oldest = r->newer;
	if (r->newer)
		r->newer->older = r->older;
	else
		s->net->reasm->newest = r->older;
}

static void reasm_free(struct tern_stack *s, struct tern_reasm *r)
{
	unlink_record(s, r);
	tern_timer_cancel(s, &r->timer);
	while (r->frags) {
		struct tern_pkt *p = r->frags;
		r->frags = p->next;
		tern_budget_uncharge(&s->budget.reasm, tern_pkt_truesize(p));
		tern_stack_pkt_free(s, p);
	}
	tern_budget_uncharge(&s->budget.reasm, sizeof(*r));
	s->net->reasm->count--;
	if (s->net->reasm->nspare < REASM_SPARE_MAX) {
		r->hnext = s->net->reasm->spare;
		s->net->reasm->spare = r;
		s->net->reasm->nspare++;
	} else {
		free(r);
	}
}

static void reasm_timeout(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct tern_reasm *r = TERN_CONTAINER_OF(t, struct tern_reasm, timer);
	if (r->frags && range_of(r->frags).off == 0)
		tern_icmp_send_error(s, r->frags, 11, 1, 0, now);
	tern_drop(s, NULL, TERN_STAT_IP_REASM_TIMEOUT, TERN_LAYER_IP);
	reasm_free(s, r);
}

/* The table is made with the first fragment: most hosts never reassemble. */
void tern_reasm_init(struct tern_stack *s)
{
	s->net->reasm = NULL;
}

static struct tern_reasm_table *table_make(struct tern_stack *s)
{
	struct tern_reasm_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->key = tern_mix64(s->seed ^ 0x7265617373656d62ull);
	if (!(t->buckets = calloc(TERN_REASM_BUCKETS, sizeof(*t->buckets)))) {
		free(t);
		return NULL;
	}
	return s->net->reasm = t;
}

void tern_reasm_fini(struct tern_stack *s)
{
	if (!s->net->reasm)
		return;
	while (s->net->reasm->oldest)
		reasm_free(s, s->net->reasm->oldest);
	while (s->net->reasm->spare) {
		struct tern_reasm *r = s->net->reasm->spare;
		s->net->reasm->spare = r->hnext;
		free(r);
	}
	s->net->reasm->nspare = 0;
	free(s->net->reasm->buckets);
	free(s->net->reasm);
	s->net->reasm = NULL;
}

static struct tern_reasm *find(struct tern_stack *s, const struct tern_ipv4_repr *ip)
{
	if (!s->net->reasm)
		return NULL;
	for (struct tern_reasm *r = *bucket_of(s, ip->src, ip->dst, ip->id, ip->proto); r;
	     r = r->hnext)
		if (r->src == ip->src && r->dst == ip->dst && r->id == ip->id && r->proto == ip->proto)
			return r;
	return NULL;
}

/* Make room for `need` more bytes: past the high mark, evict the oldest
 * datagrams (never `keep`, the one the fragment belongs to) until the
 * budget is at the low mark with room for it. False if it still does not
 * fit. */
static bool make_room(struct tern_stack *s, struct tern_reasm *keep, size_t need)
{
	struct tern_budget *b = &s->budget.reasm;
	if (tern_budget_fits(b, need))
		return true;
	struct tern_reasm *r = s->net->reasm ? s->net->reasm->oldest : NULL;
	while (r && b->used + need > s->cfg->reasm_low_thresh) {
		struct tern_reasm *next = r->newer;
		if (r != keep) {
			tern_drop(s, NULL, TERN_STAT_IP_REASM_EVICTED, TERN_LAYER_IP);
			reasm_free(s, r);
		}
		r = next;
	}
	return tern_budget_fits(b, need);
}

static struct tern_reasm *create(struct tern_stack *s, const struct tern_ipv4_repr *ip,
				 tern_time_t now)
{
	/* The table and its buckets are made with the first fragment: most
	 * hosts never reassemble, and 2 KiB each adds up over a lab of
	 * thousands. */
	if (!s->net->reasm && !table_make(s))
		return NULL;
	struct tern_reasm *r = s->net->reasm->spare;
	if (r) {
		s->net->reasm->spare = r->hnext;
		s->net->reasm->nspare--;
	} else if (!(r = malloc(sizeof(*r)))) {
		return NULL;
	}
	*r = (struct tern_reasm){.src = ip->src, .dst = ip->dst, .id = ip->id, .proto = ip->proto,
				 .older = s->net->reasm->newest};
	struct tern_reasm **bucket = bucket_of(s, ip->src, ip->dst, ip->id, ip->proto);
	r->hnext = *bucket;
	*bucket = r;
	if (s->net->reasm->newest)
		s->net->reasm->newest->newer = r;
	else
		s->net->reasm->oldest = r;
	s->net->reasm->newest = r;
	s->net->reasm->count++;
	tern_budget_charge(&s->budget.reasm, sizeof(*r));
	tern_timer_init(&r->timer, reasm_timeout);
	tern_timer_arm(s, &r->timer, now + s->cfg->reasm_timeout);
	return r;
}

/* Where a new fragment goes; NULL-linked `*pos` after the last. Returns
 * IP_REASM_OVERLAP for a partial overlap, TERN_STAT_NONE otherwise, and
 * sets *dup for an exact duplicate. */
static enum tern_stat place(struct tern_reasm *r, struct frag_range fr, struct tern_pkt ***pos,
			    bool *dup)
{
	struct tern_pkt **link = &r->frags;
	*dup = false;
	for (; *link; link = &(*link)->next) {
		struct frag_range o = range_of(*link);
		if (o.off == fr.off && o.end == fr.end) {
			*dup = true;
			return TERN_STAT_NONE;
		}
		if (fr.off < o.end && o.off < fr.end)
			return TERN_STAT_IP_REASM_OVERLAP;
		if (fr.end <= o.off)
			break;
	}
	*pos = link;
	return TERN_STAT_NONE;
}

/* Lengths that cannot belong to one datagram (RFC 791 §3.2). */
static enum tern_stat check_lengths(const struct tern_reasm *r, const struct tern_ipv4_repr *ip,
				    struct frag_range fr)
{
	if (ip->mf && (fr.end == fr.off || (fr.end - fr.off) % 8))
		return TERN_STAT_IP_BAD_FRAG; /* non-final fragments carry 8n bytes */
	if (fr.hlen + fr.end > TERN_IPV4_MAX_LEN)
		return TERN_STAT_IP_REASM_TOO_BIG;
	if (r->have_last && (fr.end > r->total || (!ip->mf && fr.end != r->total)))
		return TERN_STAT_IP_REASM_OVERLAP;
	if (!ip->mf) {
		for (struct tern_pkt *p = r->frags; p; p = p->next)
			if (range_of(p).end > fr.end)
				return TERN_STAT_IP_REASM_OVERLAP;
	}
	if (r->nfrags >= 0xffff)
		return TERN_STAT_IP_REASM_TOO_MANY;
	return TERN_STAT_NONE;
}

static bool complete(const struct tern_reasm *r)
{
	if (!r->have_last)
		return false;
	uint32_t next = 0;
	for (const struct tern_pkt *p = r->frags; p; p = p->next) {
		struct frag_range fr = range_of(p);
		if (fr.off != next)
			return false;
		next = fr.end;
	}
	return next == r->total;
}

/* Join the fragments behind fragment zero's header, fixed up as a whole
 * datagram: total length set, MF and offset cleared, checksum redone. */
static struct tern_pkt *assemble(struct tern_stack *s, struct tern_reasm *r)
{
	struct tern_pkt *first = r->frags;
	uint32_t hlen = range_of(first).hlen;
	struct tern_pkt *out = tern_stack_pkt_alloc(s, hlen + r->total);
	if (!out)
		return NULL;
	uint8_t *h = tern_pkt_put(out, hlen + r->total);
	memcpy(h, tern_pkt_data(first), hlen);
	for (struct tern_pkt *p = r->frags; p; p = p->next) {
		struct frag_range fr = range_of(p);
		memcpy(h + hlen + fr.off, tern_pkt_data(p) + fr.hlen, fr.end - fr.off);
	}
	/* RFC 3168 §5.3: a CE mark on any fragment of an ECN-capable
	 * datagram marks the whole (as Linux's ip_frag_ecn_table). */
	bool ce = false, not_ect = false;
	for (struct tern_pkt *p = r->frags; p; p = p->next) {
		uint8_t ecn = tern_pkt_data(p)[1] & TERN_IP_ECN_MASK;
		ce |= ecn == TERN_IP_ECN_CE;
		not_ect |= ecn == TERN_IP_ECN_NOT_ECT;
	}
	if (ce && !not_ect)
		h[1] |= TERN_IP_ECN_CE;
	wr16(h + 2, (uint16_t)(hlen + r->total));
	wr16(h + 6, rd16(h + 6) & TERN_IPV4_DF);
	wr16(h + 10, 0);
	wr16(h + 10, tern_csum(h, hlen));
	out->ifindex = first->ifindex;
	out->l2_type = first->l2_type;
	return out;
}

struct tern_pkt *tern_reasm_input(struct tern_stack *s, struct tern_pkt *pkt,
				  const struct tern_ipv4_repr *ip, tern_time_t now)
{
	tern_stat_inc(s, TERN_STAT_IP_REASM_REQDS);
	struct tern_reasm *r = find(s, ip);
	size_t need = tern_pkt_truesize(pkt) + (r ? 0 : sizeof(*r));
	if (!make_room(s, r, need) || (!r && !(r = create(s, ip, now)))) {
		tern_drop(s, pkt, TERN_STAT_IP_REASM_MEMORY, TERN_LAYER_IP);
		return NULL;
	}
	struct frag_range fr = range_of(pkt);
	struct tern_pkt **pos = NULL;
	bool dup;
	enum tern_stat bad = check_lengths(r, ip, fr);
	if (!bad)
		bad = place(r, fr, &pos, &dup);
	if (bad) {
		tern_drop(s, pkt, bad, TERN_LAYER_IP);
		reasm_free(s, r);
		return NULL;
	}
	if (dup) {
		tern_drop(s, pkt, TERN_STAT_IP_REASM_DUPLICATE, TERN_LAYER_IP);
		return NULL;
	}
	if (r->nfrags >= s->cfg->reasm_max_frags) {
		tern_drop(s, pkt, TERN_STAT_IP_REASM_TOO_MANY, TERN_LAYER_IP);
		reasm_free(s, r);
		return NULL;
	}
	pkt->next = *pos;
	*pos = pkt;
	r->nfrags++;
	tern_budget_charge(&s->budget.reasm, tern_pkt_truesize(pkt));
	if (!ip->mf) {
		r->have_last = true;
		r->total = fr.end;
	}
	if (!complete(r))
		return NULL;
	/* check_lengths() judged each fragment with its own header; the
	 * datagram gets fragment zero's, options and all (RFC 791 §3.2). */
	if (range_of(r->frags).hlen + r->total > TERN_IPV4_MAX_LEN) {
		tern_drop(s, NULL, TERN_STAT_IP_REASM_TOO_BIG, TERN_LAYER_IP);
		reasm_free(s, r);
		return NULL;
	}
	tern_time_t rx_time = pkt->rx_time; /* received when its last piece came */
	struct tern_pkt *whole = assemble(s, r); /* reasm_free frees pkt too */
	reasm_free(s, r);
	if (whole) {
		whole->rx_time = rx_time;
		tern_stat_inc(s, TERN_STAT_IP_REASM_OKS);
	}
	return whole;
}
