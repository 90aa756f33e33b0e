/* Background SLIC for the session: one job per opened image, its sizes split over two threads,
 * results in an RlSuperpixelCache and reported on the session's main context. */
#define G_LOG_DOMAIN "relabel-session"

#include "rl-superpixel-prep.h"

#include <string.h>

struct _RlSuperpixelPrep
{
  gint ref;
  GMainContext *context;
  RlSuperpixelCache *cache;
  GMutex lock;                  /* guards ready, generation */
  RlSuperpixelReadyFunc ready;  /* NULL once freed */
  gpointer data;
  guint generation;             /* bumped by every start: older jobs stop */
};

typedef struct
{
  RlSuperpixelPrep *prep;
  guint generation;
  gint64 image_id;
  int width, height;
  guint8 *rgb;
  gint refs;                    /* the threads sharing this job */
} Job;

typedef struct
{
  RlSuperpixelPrep *prep;
  gint64 image_id;
  int size;
} Ready;

static RlSuperpixelPrep *
prep_ref (RlSuperpixelPrep *prep)
{
  g_atomic_int_inc (&prep->ref);
  return prep;
}

static void
prep_unref (RlSuperpixelPrep *prep)
{
  if (!g_atomic_int_dec_and_test (&prep->ref))
    return;
  rl_superpixel_cache_free (prep->cache);
  g_main_context_unref (prep->context);
  g_mutex_clear (&prep->lock);
  g_free (prep);
}

static void
job_unref (Job *job)
{
  if (!g_atomic_int_dec_and_test (&job->refs))
    return;
  prep_unref (job->prep);
  g_free (job->rgb);
  g_free (job);
}

static gboolean
deliver_ready (gpointer data)
{
  Ready *r = data;
  g_mutex_lock (&r->prep->lock);
  RlSuperpixelReadyFunc ready = r->prep->ready;
  gpointer user = r->prep->data;
  g_mutex_unlock (&r->prep->lock);
  /* ready is cleared on this same context, so it cannot go away during the call */
  if (ready != NULL)
    ready (r->image_id, r->size, user);
  return G_SOURCE_REMOVE;
}

static void
ready_free (gpointer data)
{
  Ready *r = data;
  prep_unref (r->prep);
  g_free (r);
}

static void
report (RlSuperpixelPrep *prep, gint64 image_id, int size)
{
  Ready *r = g_new0 (Ready, 1);
  r->prep = prep_ref (prep);
  r->image_id = image_id;
  r->size = size;
  GSource *source = g_idle_source_new ();
  g_source_set_callback (source, deliver_ready, r, ready_free);
  g_source_attach (source, prep->context);
  g_source_unref (source);
}

static gboolean
job_current (Job *job)
{
  g_mutex_lock (&job->prep->lock);
  gboolean current = job->generation == job->prep->generation && job->prep->ready != NULL;
  g_mutex_unlock (&job->prep->lock);
  return current;
}

static void
compute (Job *job, int size)
{
  if (!job_current (job))
    return;
  g_autoptr (RlSuperpixels) have = rl_superpixel_cache_lookup (job->prep->cache, job->image_id,
                                                               size);
  if (have == NULL)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr (RlSuperpixels) sp = rl_superpixels_slic (job->rgb, job->width, job->height, size,
                                                          RL_SUPERPIXEL_COMPACTNESS);
      if (sp == NULL)
        return;
      rl_superpixel_cache_insert (job->prep->cache, job->image_id, sp);
      g_debug ("superpixels of image %" G_GINT64_FORMAT " at size %d: %d in %.1f ms",
               job->image_id, size, sp->n, (g_get_monotonic_time () - t0) / 1000.0);
    }
  report (job->prep, job->image_id, size);
}

/* Thread A: the middle size (the brush's default) then the largest; thread B: the smallest. */
static gpointer
thread_a (gpointer data)
{
  Job *job = data;
  compute (job, rl_superpixel_sizes[1]);
  compute (job, rl_superpixel_sizes[2]);
  job_unref (job);
  return NULL;
}

static gpointer
thread_b (gpointer data)
{
  Job *job = data;
  compute (job, rl_superpixel_sizes[0]);
  job_unref (job);
  return NULL;
}

RlSuperpixelPrep *
rl_superpixel_prep_new (GMainContext *context, RlSuperpixelReadyFunc ready, gpointer data)
{
  RlSuperpixelPrep *prep = g_new0 (RlSuperpixelPrep, 1);
  prep->ref = 1;
  prep->context = g_main_context_ref (context);
  /* the shown image and the two before it, every size */
  prep->cache = rl_superpixel_cache_new (3 * RL_SUPERPIXEL_N_SIZES);
  g_mutex_init (&prep->lock);
  prep->ready = ready;
  prep->data = data;
  return prep;
}

void
rl_superpixel_prep_start (RlSuperpixelPrep *prep, gint64 image_id, int width, int height,
                          const guint8 *rgb)
{
  g_return_if_fail (prep != NULL && rgb != NULL && width > 0 && height > 0);
  Job *job = g_new0 (Job, 1);
  g_mutex_lock (&prep->lock);
  job->generation = ++prep->generation;
  g_mutex_unlock (&prep->lock);
  job->prep = prep_ref (prep);
  job->image_id = image_id;
  job->width = width;
  job->height = height;
  job->rgb = g_memdup2 (rgb, (gsize) width * height * 3);
  job->refs = 2;
  g_thread_unref (g_thread_new ("relabel-slic", thread_a, job));
  g_thread_unref (g_thread_new ("relabel-slic", thread_b, job));
}

RlSuperpixels *
rl_superpixel_prep_lookup (RlSuperpixelPrep *prep, gint64 image_id, int size)
{
  return rl_superpixel_cache_lookup (prep->cache, image_id, size);
}

void
rl_superpixel_prep_free (RlSuperpixelPrep *prep)
{
  if (prep == NULL)
    return;
  g_mutex_lock (&prep->lock);
  prep->ready = NULL;
  prep->generation++;
  g_mutex_unlock (&prep->lock);
  prep_unref (prep);
}
