/*
 * app/http_util.h — what the HTTP server (httpd.c) and client (curl.c)
 * share in reading headers. Pure functions, no stack, no I/O.
 */
#ifndef TERN_APP_HTTP_UTIL_H
#define TERN_APP_HTTP_UTIL_H

#include <stdbool.h>

/* Whether a comma-separated header value ("keep-alive, Close") holds the
 * token, compared case-insensitively (RFC 9110 §5.6.1 lists). */
bool tern_http_has_token(const char *list, const char *tok);

#endif
