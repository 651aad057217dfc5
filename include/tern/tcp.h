/*
 * tern/tcp.h — TCP socket options (level TERN_IPPROTO_TCP), with Linux's
 * numbers so code written for Linux ports by renaming.
 */
#ifndef TERN_TCP_H
#define TERN_TCP_H

#include "tern/socket.h"

#define TERN_TCP_NODELAY 1       /* no Nagle (RFC 896) */
#define TERN_TCP_MAXSEG 2        /* cap the MSS (88..32767; 0: none) */
#define TERN_TCP_CORK 3          /* send only full segments until cleared */
#define TERN_TCP_KEEPIDLE 4      /* seconds idle before the first keepalive (7200) */
#define TERN_TCP_KEEPINTVL 5     /* seconds between keepalives (75) */
#define TERN_TCP_KEEPCNT 6       /* unanswered keepalives before giving up (9) */
#define TERN_TCP_QUICKACK 12     /* acknowledge at once rather than delay */
#define TERN_TCP_USER_TIMEOUT 18 /* ms data may stay unacknowledged (RFC 9293 §3.8.3); 0: off */

#endif
