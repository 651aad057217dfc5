/*
 * tools/cmdline.h — each tool's command line parsed into its engine's
 * options, by the same parser its `tern TOOL` command uses, for the steps
 * of a lab file (tools/lab.c). No --tap or other host option is taken:
 * the lab file builds the hosts. Each returns 0, or CLI_EXIT_USAGE after
 * the tool's message went to the error stream (cli_set_error_stream).
 * argv[0] is the tool's name; the options may point into argv.
 */
#ifndef TERN_TOOLS_CMDLINE_H
#define TERN_TOOLS_CMDLINE_H

#include "tern/apps.h"

int ping_cmdline(int argc, char **argv, struct tern_ping_opts *o);
int traceroute_cmdline(int argc, char **argv, struct tern_traceroute_opts *o);
int nc_cmdline(int argc, char **argv, struct tern_nc_opts *o);
/* *dir: DIR as given, not checked (the lab resolves it); NULL: "." */
int http_cmdline(int argc, char **argv, struct tern_httpd_opts *o, const char **dir);
int iperf_cmdline(int argc, char **argv, struct tern_iperf_opts *o);
int hping_cmdline(int argc, char **argv, struct tern_hping_opts *o);
int rr_cmdline(int argc, char **argv, struct tern_rr_opts *o);
/* *output: -o FILE or NULL */
int curl_cmdline(int argc, char **argv, struct tern_curl_opts *o, const char **output);

#endif
