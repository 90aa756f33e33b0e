/* Status codes and error messages shared by every engine function.
 * The engine never prints or exits on bad input: it returns an RlStatus and fills an RlError. */
#pragma once

#include <stdarg.h>

typedef enum
{
  RL_OK = 0,
  RL_ERR_INVALID,     /* bad argument or shape */
  RL_ERR_IO,          /* open/read/write failed */
  RL_ERR_FORMAT,      /* malformed file contents */
  RL_ERR_NOMEM,       /* allocation failed */
  RL_ERR_UNSUPPORTED, /* valid request this build cannot do */
  RL_ERR_CANCELLED,   /* the abort callback asked to stop */
} RlStatus;

/* A one-line message; callers may pass NULL where they do not want it. */
typedef struct
{
  char text[512];
} RlError;

/* Fills err (if non-NULL) with the printf-style message and returns code. */
RlStatus rl_error_set (RlError *err, RlStatus code, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));

const char *rl_status_name (RlStatus status);
