/*
 * lab/report.h — OUT/report.html, the page a lab run leaves beside its
 * transcript and captures (lab/report.c): the topology as Graphviz lays it
 * out, every link's counters, for each TCP connection its congestion
 * window, slow-start threshold and RTT over time and a time-sequence graph
 * as tcptrace draws them, and the transcript. One self-contained file (CSS
 * and SVG inline, no script), the same bytes for the same file and seed.
 */
#ifndef TERN_LAB_REPORT_H
#define TERN_LAB_REPORT_H

#include <stdio.h>

#include "lab/lab.h"

/* Connections with their plots kept (others are listed with their
 * counters only), and points per plotted series (lab/plot.h). */
#define LAB_REPORT_MAX_PLOTTED 32
#define LAB_REPORT_MAX_CONNS 1024
#define LAB_REPORT_POINTS 1200

struct lab_report;

/* Start recording: a TCP trace on every stack of the world (before the
 * scenario runs). NULL if out of memory. Free it after the world. */
struct lab_report *lab_report_create(const struct lab_topo *t, const struct lab_world *w);
void lab_report_free(struct lab_report *rep);

/* Write OUT/topology.dot, OUT/topology.svg (with Graphviz's dot, if it is
 * installed) and OUT/report.html, the transcript read from
 * transcript_path. end is the virtual time the run ended at. Returns 0,
 * or -1 with why in err. */
int lab_report_write(struct lab_report *rep, const char *out_dir, const char *transcript_path,
		     uint64_t seed, tern_time_t end, char *err, size_t errlen);

#endif
