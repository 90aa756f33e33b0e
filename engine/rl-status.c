/* Status codes and error messages shared by every engine function.
 * Kept tiny: formatting a message is the only thing an error needs. */
#include "rl-status.h"

#include <stdio.h>

RlStatus
rl_error_set (RlError *err, RlStatus code, const char *fmt, ...)
{
  if (err != NULL)
    {
      va_list ap;
      va_start (ap, fmt);
      vsnprintf (err->text, sizeof err->text, fmt, ap);
      va_end (ap);
    }
  return code;
}

const char *
rl_status_name (RlStatus status)
{
  switch (status)
    {
    case RL_OK: return "ok";
    case RL_ERR_INVALID: return "invalid argument";
    case RL_ERR_IO: return "I/O error";
    case RL_ERR_FORMAT: return "malformed data";
    case RL_ERR_NOMEM: return "out of memory";
    case RL_ERR_UNSUPPORTED: return "unsupported";
    case RL_ERR_CANCELLED: return "cancelled";
    }
  return "unknown error";
}
