/* Benchmark: time to produce one frame of the annotation canvas while a brush stroke is being
 * painted, on a 480x360 and a synthetic 2048x1536 image, fitted in a 1280x800 window.
 * Run under a display (e.g. xvfb-run -a -s "-screen 0 1280x800x24" bench-frame). For each frame
 * it paints one brush segment in the tick callback and stops the clock at the frame clock's
 * after-paint signal, so the figure covers mask edit + overlay update + snapshot + render.
 * Prints median and 99th percentile in ms (targets 8 ms and 16 ms), as wall time and as the
 * main thread's CPU time (the latter is what the app spends; wall time also counts waiting for
 * the CPU on a loaded machine and the X server). An empty-canvas run gives the toolkit's floor. */
#include <gtk/gtk.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "relabel-canvas.h"

#define WARMUP 20
#define FRAMES 300

typedef struct
{
  RelabelCanvas *canvas;
  int width, height;
  int frame;
  gint64 t0;
  double cpu0;
  double ms[FRAMES];
  double cpu_ms[FRAMES];
  double x, y;
  gboolean done;
} Bench;

static double
thread_cpu_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static gboolean
on_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  Bench *b = data;
  b->t0 = g_get_monotonic_time ();
  b->cpu0 = thread_cpu_ms ();
  if (b->width == 0)
    {
      gtk_widget_queue_draw (widget);
      return b->done ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
    }
  /* a zig-zag stroke over the whole image, one segment per frame */
  double step = b->width / 60.0;
  double nx = b->x + step, ny = b->height * (0.5 + 0.4 * sin (b->frame * 0.07));
  if (nx > b->width)
    nx = 0;
  relabel_canvas_paint_segment (b->canvas, b->x, b->y, nx, ny);
  b->x = nx;
  b->y = ny;
  return b->done ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static void
on_after_paint (GdkFrameClock *clock, Bench *b)
{
  if (b->t0 == 0 || b->done)
    return;
  double ms = (g_get_monotonic_time () - b->t0) / 1000.0;
  double cpu = thread_cpu_ms () - b->cpu0;
  b->t0 = 0;
  if (b->frame >= WARMUP)
    {
      b->ms[b->frame - WARMUP] = ms;
      b->cpu_ms[b->frame - WARMUP] = cpu;
    }
  if (++b->frame >= WARMUP + FRAMES)
    b->done = TRUE;
}

static void
run (GtkWindow *window, RelabelCanvas *canvas, int width, int height)
{
  g_autofree guint8 *rgb = g_malloc ((gsize) MAX (width * height, 1) * 3);
  g_autofree guint8 *mask = g_malloc ((gsize) MAX (width * height, 1));
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        gsize i = (gsize) y * width + x;
        rgb[3 * i] = (guint8) (x * 255 / width);
        rgb[3 * i + 1] = (guint8) (y * 255 / height);
        rgb[3 * i + 2] = (guint8) ((x ^ y) & 255);
        mask[i] = (guint8) (((x / 64) + (y / 48)) % 11);   /* blocks of every class */
      }
  if (width > 0)
    {
      relabel_canvas_set_image (canvas, width, height, rgb, mask, mask, mask);
      relabel_canvas_set_class (canvas, 3);
      relabel_canvas_set_brush_radius (canvas, width * 0.02);
    }
  else
    relabel_canvas_clear (canvas);

  Bench b = { .canvas = canvas, .width = width, .height = height, .y = height / 2.0 };
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (canvas));
  gulong id = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &b);
  gtk_widget_add_tick_callback (GTK_WIDGET (canvas), on_tick, &b, NULL);
  while (!b.done)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (clock, id);

  /* The canvas alone: paint a segment, snapshot the widget, rasterise the node with Cairo into
   * an image of the widget's size (what the cairo renderer does, without the X transport). */
  double draw_ms[FRAMES];
  if (width > 0)
    {
      int W = gtk_widget_get_width (GTK_WIDGET (canvas));
      int H = gtk_widget_get_height (GTK_WIDGET (canvas));
      g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (GTK_WIDGET (canvas));
      cairo_surface_t *target = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, W, H);
      for (int i = 0; i < WARMUP + FRAMES; i++)
        {
          gint64 t0 = g_get_monotonic_time ();
          double nx = b.x + width / 60.0, ny = height * (0.5 + 0.4 * sin (i * 0.07));
          if (nx > width)
            nx = 0;
          relabel_canvas_paint_segment (canvas, b.x, b.y, nx, ny);
          b.x = nx;
          b.y = ny;
          GtkSnapshot *snap = gtk_snapshot_new ();
          gdk_paintable_snapshot (paintable, snap, W, H);
          GskRenderNode *node = gtk_snapshot_free_to_node (snap);
          cairo_t *cr = cairo_create (target);
          if (node != NULL)
            gsk_render_node_draw (node, cr);
          cairo_destroy (cr);
          g_clear_pointer (&node, gsk_render_node_unref);
          if (i >= WARMUP)
            draw_ms[i - WARMUP] = (g_get_monotonic_time () - t0) / 1000.0;
        }
      cairo_surface_destroy (target);
      qsort (draw_ms, FRAMES, sizeof (double), cmp_double);
    }

  qsort (b.ms, FRAMES, sizeof (double), cmp_double);
  qsort (b.cpu_ms, FRAMES, sizeof (double), cmp_double);
  int p99 = (int) ceil (FRAMES * 0.99) - 1;
  printf ("%-10s zoom %.3f  wall: median %6.2f  p99 %6.2f ms   main-thread CPU: median %6.2f  "
          "p99 %6.2f ms   (target %s)\n",
          width > 0 ? g_strdup_printf ("%dx%d", width, height) : "empty",
          relabel_canvas_get_zoom (canvas), b.ms[FRAMES / 2], b.ms[p99], b.cpu_ms[FRAMES / 2],
          b.cpu_ms[p99], width == 0 ? "-" : width * height > 480 * 360 ? "16 ms" : "8 ms");
  if (width > 0)
    printf ("%-10s canvas draw (paint + snapshot + rasterise, no toolkit/X): median %6.2f  "
            "p99 %6.2f ms\n", "", draw_ms[FRAMES / 2], draw_ms[p99]);
}

int
main (int argc, char **argv)
{
  gtk_init ();
  GtkWidget *window = gtk_window_new ();
  GtkWidget *canvas = relabel_canvas_new ();
  RlClassSpec *spec = rl_class_spec_camvid ();

  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_set_child (GTK_WINDOW (window), canvas);
  relabel_canvas_set_spec (RELABEL_CANVAS (canvas), spec);
  gtk_window_present (GTK_WINDOW (window));
  while (!gtk_widget_get_mapped (canvas))
    g_main_context_iteration (NULL, TRUE);

  printf ("bench-frame: renderer %s, window 1280x800, brush stroke painted every frame\n",
          G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (window))));
  printf ("%d frames each after %d warm-up frames\n", FRAMES, WARMUP);
  run (GTK_WINDOW (window), RELABEL_CANVAS (canvas), 0, 0);
  run (GTK_WINDOW (window), RELABEL_CANVAS (canvas), 480, 360);
  run (GTK_WINDOW (window), RELABEL_CANVAS (canvas), 2048, 1536);
  rl_class_spec_free (spec);
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
