/* The window's debug channel: one documented environment variable, parsed here and nowhere
 * else, for the GUI tests and the frame benchmark.
 *
 *   RELABEL_DEBUG=frame-log=PATH,finetune-iters=N
 *
 *   frame-log=PATH     append every frame gap (ms) and the job/close markers to PATH
 *                      (tests/gui/test-gui.py, tests/bench/bench-window-frames.py); PATH
 *                      cannot hold a comma
 *   finetune-iters=N   Retrain runs N optimizer steps instead of the default (the GUI tests)
 *   study=DIR          open the decoder-study window on DIR at start (tests/gui/test-study-view.py)
 *
 * Unknown keys are ignored (said with g_debug under the "relabel" log domain). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char *frame_log;      /* NULL: no frame log */
  int finetune_iters;   /* 0: the default */
  char *study;          /* study=DIR: open the decoder-study window on DIR at start (its test) */
} RelabelDebug;

/* Fills out from RELABEL_DEBUG (all unset when it is unset). */
void relabel_debug_parse (RelabelDebug *out);
void relabel_debug_clear (RelabelDebug *debug);

G_END_DECLS
