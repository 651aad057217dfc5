/*
 * lab/plot.h — bounded time series and the SVG plots drawn from them, for
 * the lab's report (lab/report.c).
 *
 * A series keeps at most `cap` points however long the run: a point is a
 * bucket of time (start t, the first and last value added in it, their
 * minimum and maximum). When the series is full, the bucket width doubles
 * and neighbours that now share a bucket merge, so a long run is drawn at
 * a coarser grain with every extreme kept (a cwnd drop or a
 * retransmission never disappears in the decimation). The width starts at
 * 1 µs, and nothing here reads a clock, allocates after creation or
 * depends on anything but the values added: the same inputs give the
 * same SVG bytes.
 */
#ifndef TERN_LAB_PLOT_H
#define TERN_LAB_PLOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tern/types.h"

struct lab_pt {
	tern_time_t t;           /* the bucket's start */
	double first, last, lo, hi;
};

struct lab_series {
	struct lab_pt *pt;
	size_t n, cap;
	tern_time_t width;       /* the bucket width now */
	uint64_t added;          /* values added (before merging) */
};

/* 0, or -1 out of memory. cap at least 2. */
int lab_series_init(struct lab_series *s, size_t cap);
void lab_series_fini(struct lab_series *s);
/* Add a value at time t (times never decrease; an earlier one is taken
 * as the latest time). A span [lo, hi] with value v (a segment sent:
 * its first and last byte) keeps both ends; lab_series_add(s, t, v) is
 * the span [v, v]. */
void lab_series_add_span(struct lab_series *s, tern_time_t t, double v, double lo, double hi);
static inline void lab_series_add(struct lab_series *s, tern_time_t t, double v)
{
	lab_series_add_span(s, t, v, v, v);
}

/* How a series is drawn. */
enum lab_draw {
	LAB_DRAW_STEP,   /* a value that holds until the next (cwnd, ACKs) */
	LAB_DRAW_LINE,   /* points joined by straight lines (RTT) */
	LAB_DRAW_BARS,   /* a vertical bar per point from lo to hi (segments) */
	LAB_DRAW_MARKS,  /* a small cross per point at its spread (retransmissions) */
};

struct lab_plot_series {
	const struct lab_series *s;
	const char *name;        /* in the legend */
	const char *color;       /* an SVG colour: "#1f77b4" */
	enum lab_draw draw;
};

struct lab_plot {
	const char *title;
	const char *xlabel, *ylabel;
	tern_time_t t0, t1;      /* the x range; t1 <= t0: from the data */
	double ymin, ymax;       /* ymax <= ymin: from the data (from 0) */
	double yscale;           /* y values are divided by this for the axis (0: 1) */
	unsigned width, height;  /* pixels (0: 720 x 300) */
	const struct lab_plot_series *series;
	size_t nseries;
};

/* Write the plot as one <svg> element (no XML prologue, fit to inline in
 * HTML). Returns 0, or -1 on a write error. */
int lab_plot_svg(FILE *f, const struct lab_plot *p);

/* Write s with <, >, & and " escaped for HTML text and attributes. */
void lab_html_escape(FILE *f, const char *s, size_t len);

#endif
