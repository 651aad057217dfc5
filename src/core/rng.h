/*
 * core/rng.h — a small seeded pseudo-random generator (xoshiro256**, seeded
 * through splitmix64). Every random choice a stack or a simulated device
 * makes comes from one of these, so a seed reproduces a run byte for byte.
 * Not for secrets: ISNs and the like mix this with a keyed hash later.
 */
#ifndef TERN_CORE_RNG_H
#define TERN_CORE_RNG_H

#include <stdint.h>

/* splitmix64's finalizer: a bijection that spreads every input bit
 * (hash keys, seeds derived from seeds). */
static inline uint64_t tern_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct tern_rng {
	uint64_t s[4];
};

void tern_rng_seed(struct tern_rng *r, uint64_t seed);
uint64_t tern_rng_next(struct tern_rng *r);
/* Uniform in [0, bound) without modulo bias; bound 0 returns 0. */
uint64_t tern_rng_below(struct tern_rng *r, uint64_t bound);
/* Uniform double in [0, 1). */
double tern_rng_unit(struct tern_rng *r);
/* True with probability p. */
int tern_rng_chance(struct tern_rng *r, double p);

#endif
