/*
 * dev/red.c — RED's decision (Floyd & Jacobson 1993, §4 and Figure 2):
 *
 *   avg <- (1 - w) avg + w q         (q > 0)
 *   avg <- (1 - w)^m avg             (the queue idle for m packet times)
 *   avg < min:          pass, count = -1
 *   min <= avg < max:   count++, pb = max_p (avg - min) / (max - min),
 *                       pa = pb / (1 - count pb); mark with probability pa
 *   avg >= max:         mark
 * A mark is CE on an ECT packet when `ecn` is on (RFC 3168 §5, and RFC
 * 7567 §4.2.1's advice that a queue signal rather than drop), else a drop.
 * Packet mode (the paper's basic algorithm): every packet counts alike.
 * Deterministic: the only randomness is the seeded stream.
 */
#include "dev/red.h"

void tern_red_init(struct tern_red *r, uint64_t seed)
{
	r->avg = 0;
	r->count = -1;
	tern_rng_seed(&r->rng, seed);
}

/* x^n by squaring (n may be large: a long idle period). */
static double pow_u(double x, uint64_t n)
{
	double y = 1;
	while (n && y > 0) {
		if (n & 1)
			y *= x;
		x *= x;
		n >>= 1;
	}
	return y;
}

enum tern_red_verdict tern_red_arrive(struct tern_red *r, const struct tern_red_params *p,
				      uint64_t qbytes, tern_time_t idle, tern_time_t pkt_ns,
				      bool ect)
{
	double w = p->weight > 0 && p->weight <= 1 ? p->weight : 0.002;
	if (qbytes > 0 || idle <= 0)
		r->avg = (1 - w) * r->avg + w * (double)qbytes;
	else
		r->avg *= pow_u(1 - w, pkt_ns > 0 ? (uint64_t)(idle / pkt_ns) : 0);
	double min = p->min_bytes, max = p->max_bytes > p->min_bytes ? p->max_bytes : min + 1;
	if (r->avg < min) {
		r->count = -1;
		return TERN_RED_PASS;
	}
	bool mark = p->ecn && ect;
	if (r->avg >= max) {
		r->count = 0;
		return mark ? TERN_RED_MARK : TERN_RED_DROP_FORCED;
	}
	r->count++;
	double pb = p->max_p * (r->avg - min) / (max - min);
	double spread = 1 - (double)r->count * pb;
	double pa = spread > 0 ? pb / spread : 1;
	if (!tern_rng_chance(&r->rng, pa))
		return TERN_RED_PASS;
	r->count = 0;
	return mark ? TERN_RED_MARK : TERN_RED_DROP_EARLY;
}
