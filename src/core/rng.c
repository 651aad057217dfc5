/*
 * core/rng.c — xoshiro256** with splitmix64 seeding (see rng.h).
 */
#include "core/rng.h"

static uint64_t splitmix64(uint64_t *x)
{
	return tern_mix64(*x += 0x9e3779b97f4a7c15ull);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void tern_rng_seed(struct tern_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

uint64_t tern_rng_next(struct tern_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t tern_rng_below(struct tern_rng *r, uint64_t bound)
{
	if (bound == 0)
		return 0;
	/* Reject the top partial range so every residue is equally likely. */
	uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
	uint64_t v;
	do
		v = tern_rng_next(r);
	while (v >= limit);
	return v % bound;
}

double tern_rng_unit(struct tern_rng *r)
{
	return (double)(tern_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

int tern_rng_chance(struct tern_rng *r, double p)
{
	if (p <= 0)
		return 0;
	if (p >= 1)
		return 1;
	return tern_rng_unit(r) < p;
}
