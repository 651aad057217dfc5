/*
 * bench/common.h — what the benchmarks share: the clock, option parsing,
 * and a batch's median and spread.
 */
#ifndef TERN_BENCH_COMMON_H
#define TERN_BENCH_COMMON_H

#include <stdbool.h>

/* CLOCK_MONOTONIC in ns. */
double bench_now_ns(void);

/* s as a decimal in [lo, hi] into *out; false if malformed (or NULL). */
bool bench_parse_long(const char *s, long lo, long hi, long *out);

/* A measured figure over several runs. */
struct bench_cell {
	bool done;
	double med, lo, hi;
};

/* Median, lowest and highest of v[0..n) (sorts v). */
struct bench_cell bench_summarize(double *v, int n);

#endif
