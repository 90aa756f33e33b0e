/* The decoder-study window (relabel-study-view.h). */
#include "relabel-study-view.h"

#include <math.h>
#include <stdio.h>

#include "relabel-debug.h"
#include "rl-study-view.h"

#define MISSED_RGB 0xff3030u    /* as the canvas's boundary-error view */
#define SPURIOUS_RGB 0xffd000u

typedef struct
{
  GtkWindow *win;
  RlSession *session;
  char *dir;
  RlStudyTable *table;
  GArray *finished;          /* guint: indices of the finished rows */
  GtkWidget *info, *grid, *image_dd, *dd[2], *pic[2], *cap[2], *status;
  GCancellable *cancel;
  guint generation;
  FILE *log;                 /* RELABEL_DEBUG frame-log: the tests read the shown figures */
} StudyView;

typedef struct
{
  StudyView *view;
  guint generation;
} Request;

static void
view_free (gpointer p)
{
  StudyView *v = p;
  g_cancellable_cancel (v->cancel);
  g_object_unref (v->cancel);
  g_object_unref (v->session);
  g_free (v->dir);
  rl_study_table_free (v->table);
  if (v->finished != NULL)
    g_array_unref (v->finished);
  if (v->log != NULL)
    fclose (v->log);
  g_free (v);
}

static void
log_line (StudyView *v, const char *line)
{
  if (v->log == NULL)
    return;
  fprintf (v->log, "%s\n", line);
  fflush (v->log);
}

static char *
pct (double x)
{
  return isnan (x) ? g_strdup ("n/a") : g_strdup_printf ("%.1f", 100 * x);
}

static void
cell (GtkGrid *grid, int col, int row, const char *text, gboolean header)
{
  GtkWidget *l = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (l), col == 0 ? 0.0f : 1.0f);
  if (header)
    gtk_widget_add_css_class (l, "heading");
  else
    gtk_widget_add_css_class (l, "numeric");
  gtk_grid_attach (grid, l, col, row, 1, 1);
}

static const char *const headers[] = {
  "variant", "params (M)", "storage ×", "infer ms", "held-out G", "C", "mIoU", "BF",
  "val G", "C", "mIoU", "BF"
};

static void
fill_table (StudyView *v)
{
  GtkGrid *grid = GTK_GRID (v->grid);
  int row = 0;
  const char *bals[2] = { "median", "natural" };
  const char *titles[2] = { "Median-frequency balancing", "Natural frequency (no class weights)" };
  for (int b = 0; b < 2; b++)
    {
      gboolean any = FALSE;
      for (guint i = 0; i < v->table->rows->len; i++)
        any = any || g_strcmp0 (((RlStudyRow *) v->table->rows->pdata[i])->balancing,
                                bals[b]) == 0;
      if (!any)
        continue;
      GtkWidget *t = gtk_label_new (titles[b]);
      gtk_label_set_xalign (GTK_LABEL (t), 0);
      gtk_widget_add_css_class (t, "title-4");
      gtk_widget_set_margin_top (t, row ? 12 : 0);
      gtk_grid_attach (grid, t, 0, row++, G_N_ELEMENTS (headers), 1);
      for (guint c = 0; c < G_N_ELEMENTS (headers); c++)
        cell (grid, (int) c, row, headers[c], TRUE);
      row++;
      for (guint i = 0; i < v->table->rows->len; i++)
        {
          RlStudyRow *r = v->table->rows->pdata[i];
          if (g_strcmp0 (r->balancing, bals[b]) != 0)
            continue;
          cell (grid, 0, row, r->arch, FALSE);
          g_autofree char *params = isnan (r->parameters)
                                      ? g_strdup ("n/a")
                                      : g_strdup_printf ("%.3f", r->parameters / 1e6);
          g_autofree char *storage = isnan (r->storage) ? g_strdup ("n/a")
                                                        : g_strdup_printf ("%.0f", r->storage);
          cell (grid, 1, row, params, FALSE);
          cell (grid, 2, row, storage, FALSE);
          if (!r->finished)
            cell (grid, 3, row, "not run yet", FALSE);
          else
            {
              g_autofree char *ms = g_strdup_printf ("%.0f", r->infer_ms);
              cell (grid, 3, row, ms, FALSE);
              for (int m = 0; m < 4; m++)
                {
                  g_autofree char *h = pct (r->held[m]), *val = pct (r->val[m]);
                  cell (grid, 4 + m, row, h, FALSE);
                  cell (grid, 8 + m, row, val, FALSE);
                }
            }
          row++;
        }
    }
}

static GdkTexture *
overlay_texture (const RlStudyCompare *c, const guint8 *errors)
{
  gsize n = (gsize) c->width * c->height;
  guint8 *px = g_malloc (n * 3);
  for (gsize i = 0; i < n; i++)
    {
      guint32 rgb = errors[i] == 1 ? MISSED_RGB : errors[i] == 2 ? SPURIOUS_RGB : 0;
      for (int k = 0; k < 3; k++)
        px[i * 3 + k] = errors[i] ? (guint8) (rgb >> (16 - 8 * k))
                                  : (guint8) (c->rgb[i * 3 + k] * 45 / 100);
    }
  g_autoptr (GBytes) bytes = g_bytes_new_take (px, n * 3);
  return gdk_memory_texture_new (c->width, c->height, GDK_MEMORY_R8G8B8, bytes,
                                 (gsize) c->width * 3);
}

static RlStudyRow *
chosen_row (StudyView *v, int side)
{
  guint i = gtk_drop_down_get_selected (GTK_DROP_DOWN (v->dd[side]));
  if (v->finished == NULL || i >= v->finished->len)
    return NULL;
  return v->table->rows->pdata[g_array_index (v->finished, guint, i)];
}

static void
on_compared (RlStudyCompare *c, const GError *error, gpointer data)
{
  Request *req = data;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_free (req);
      return;
    }
  StudyView *v = req->view;
  gboolean stale = req->generation != v->generation;
  g_free (req);
  if (stale)
    return;
  if (error != NULL)
    {
      gtk_label_set_text (GTK_LABEL (v->status), error->message);
      return;
    }
  gtk_label_set_text (GTK_LABEL (v->status), "");
  g_autoptr (GString) line = g_string_new (NULL);
  g_string_append_printf (line, "# study-compare %s", c->image);
  for (int s = 0; s < 2; s++)
    {
      RlStudyRow *r = chosen_row (v, s);
      g_autoptr (GdkTexture) tex = overlay_texture (c, c->errors[s]);
      gtk_picture_set_paintable (GTK_PICTURE (v->pic[s]), GDK_PAINTABLE (tex));
      guint missed = 0, spurious = 0;
      for (gsize i = 0; i < (gsize) c->width * c->height; i++)
        {
          missed += c->errors[s][i] == 1;
          spurious += c->errors[s][i] == 2;
        }
      g_autofree char *bf = pct (c->bf[s]), *miou = pct (c->miou[s]);
      g_autofree char *cap = g_strdup_printf ("%s (%s): BF %s %%, mIoU %s %% on this image; "
                                              "%u missed (red), %u spurious (yellow) boundary "
                                              "pixels", r->arch, r->balancing, bf, miou,
                                              missed, spurious);
      gtk_label_set_text (GTK_LABEL (v->cap[s]), cap);
      g_string_append_printf (line, " %s-%s bf=%.9f miou=%.9f missed=%u spurious=%u", r->arch,
                              r->balancing, c->bf[s], c->miou[s], missed, spurious);
    }
  log_line (v, line->str);
}

static void
compare (StudyView *v)
{
  guint img = gtk_drop_down_get_selected (GTK_DROP_DOWN (v->image_dd));
  RlStudyRow *a = chosen_row (v, 0), *b = chosen_row (v, 1);
  if (a == NULL || b == NULL || img >= v->table->images->len)
    return;
  const char *name = v->table->images->pdata[img];
  Request *req = g_new0 (Request, 1);
  req->view = v;
  req->generation = ++v->generation;
  g_autofree char *what = g_strdup_printf ("Predicting %s with %s and %s…", name, a->arch,
                                           b->arch);
  gtk_label_set_text (GTK_LABEL (v->status), what);
  rl_session_study_compare (v->session, v->table, name, a->model, b->model, v->cancel,
                            on_compared, req);
}

static void
on_choice (GObject *dd, GParamSpec *pspec, gpointer data)
{
  compare (data);
}

static void
on_loaded (RlStudyTable *t, const GError *error, gpointer data)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      rl_study_table_free (t);
      return;
    }
  StudyView *v = data;
  if (error != NULL)
    {
      gtk_label_set_text (GTK_LABEL (v->info), error->message);
      return;
    }
  v->table = t;
  guint done = 0;
  for (guint i = 0; i < t->rows->len; i++)
    done += ((RlStudyRow *) t->rows->pdata[i])->finished;
  g_autofree char *info = g_strdup_printf (
    "%s — dataset %s, budget %s, held out %s; %u of %u runs finished. Figures in %%; val is a "
    "street train also shows (in-sample street), held-out a street training never saw.",
    v->dir, t->dataset, t->budget, t->heldout, done, t->rows->len);
  gtk_label_set_text (GTK_LABEL (v->info), info);
  fill_table (v);
  v->finished = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GStrvBuilder) names = g_strv_builder_new ();
  for (guint i = 0; i < t->rows->len; i++)
    {
      RlStudyRow *r = t->rows->pdata[i];
      if (!r->finished || r->model == NULL)
        continue;
      g_array_append_val (v->finished, i);
      g_autofree char *label = g_strdup_printf ("%s (%s)", r->arch, r->balancing);
      g_strv_builder_add (names, label);
    }
  g_auto (GStrv) labels = g_strv_builder_end (names);
  g_autoptr (GStrvBuilder) imgs = g_strv_builder_new ();
  for (guint i = 0; i < t->images->len; i++)
    g_strv_builder_add (imgs, t->images->pdata[i]);
  g_auto (GStrv) images = g_strv_builder_end (imgs);
  gtk_drop_down_set_model (GTK_DROP_DOWN (v->image_dd),
                           G_LIST_MODEL (gtk_string_list_new ((const char *const *) images)));
  for (int s = 0; s < 2; s++)
    gtk_drop_down_set_model (GTK_DROP_DOWN (v->dd[s]),
                             G_LIST_MODEL (gtk_string_list_new ((const char *const *) labels)));
  /* default: the first two finished runs */
  if (v->finished->len > 1)
    gtk_drop_down_set_selected (GTK_DROP_DOWN (v->dd[1]), 1);
  g_signal_connect (v->image_dd, "notify::selected", G_CALLBACK (on_choice), v);
  for (int s = 0; s < 2; s++)
    g_signal_connect (v->dd[s], "notify::selected", G_CALLBACK (on_choice), v);
  g_autofree char *ready = g_strdup_printf ("# study-table %u %u", done, t->rows->len);
  log_line (v, ready);
  compare (v);
}

static GtkWidget *
labelled (const char *text, GtkWidget *w)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *l = gtk_label_new_with_mnemonic (text);
  gtk_label_set_mnemonic_widget (GTK_LABEL (l), w);
  gtk_box_append (GTK_BOX (box), l);
  gtk_box_append (GTK_BOX (box), w);
  return box;
}

GtkWindow *
relabel_study_view_open (GtkWindow *parent, RlSession *session, const char *dir)
{
  StudyView *v = g_new0 (StudyView, 1);
  v->session = g_object_ref (session);
  v->dir = g_strdup (dir);
  v->cancel = g_cancellable_new ();
  RelabelDebug debug;
  relabel_debug_parse (&debug);
  if (debug.frame_log != NULL)
    v->log = fopen (debug.frame_log, "a");
  relabel_debug_clear (&debug);

  v->win = GTK_WINDOW (gtk_window_new ());
  g_object_set_data_full (G_OBJECT (v->win), "relabel-study-view", v, view_free);
  g_autofree char *base = g_path_get_basename (dir);
  g_autofree char *title = g_strdup_printf ("Decoder Study — %s", base);
  gtk_window_set_title (v->win, title);
  gtk_window_set_default_size (v->win, 1200, 860);
  if (parent != NULL)
    gtk_window_set_transient_for (v->win, parent);
  gtk_window_set_hide_on_close (v->win, FALSE);
  GtkShortcutController *sc = GTK_SHORTCUT_CONTROLLER (gtk_shortcut_controller_new ());
  gtk_shortcut_controller_add_shortcut (
    sc, gtk_shortcut_new (gtk_shortcut_trigger_parse_string ("Escape|<Control>w"),
                          gtk_named_action_new ("window.close")));
  gtk_widget_add_controller (GTK_WIDGET (v->win), GTK_EVENT_CONTROLLER (sc));

  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 12);
  v->info = gtk_label_new ("Reading the study…");
  gtk_label_set_wrap (GTK_LABEL (v->info), TRUE);
  gtk_label_set_xalign (GTK_LABEL (v->info), 0);
  gtk_box_append (GTK_BOX (box), v->info);
  v->grid = gtk_grid_new ();
  gtk_grid_set_column_spacing (GTK_GRID (v->grid), 14);
  gtk_grid_set_row_spacing (GTK_GRID (v->grid), 2);
  GtkWidget *scroll = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), v->grid);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroll), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scroll), 420);
  gtk_box_append (GTK_BOX (box), scroll);

  GtkWidget *controls = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 16);
  v->image_dd = gtk_drop_down_new (NULL, NULL);
  v->dd[0] = gtk_drop_down_new (NULL, NULL);
  v->dd[1] = gtk_drop_down_new (NULL, NULL);
  gtk_box_append (GTK_BOX (controls), labelled ("_Image", v->image_dd));
  gtk_box_append (GTK_BOX (controls), labelled ("_Left", v->dd[0]));
  gtk_box_append (GTK_BOX (controls), labelled ("_Right", v->dd[1]));
  v->status = gtk_label_new ("");
  gtk_label_set_ellipsize (GTK_LABEL (v->status), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (v->status, "dim-label");
  gtk_box_append (GTK_BOX (controls), v->status);
  gtk_box_append (GTK_BOX (box), controls);

  GtkWidget *pair = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_box_set_homogeneous (GTK_BOX (pair), TRUE);
  for (int s = 0; s < 2; s++)
    {
      GtkWidget *col = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
      v->pic[s] = gtk_picture_new ();
      gtk_picture_set_can_shrink (GTK_PICTURE (v->pic[s]), TRUE);
      gtk_picture_set_content_fit (GTK_PICTURE (v->pic[s]), GTK_CONTENT_FIT_CONTAIN);
      gtk_widget_set_vexpand (v->pic[s], TRUE);
      gtk_widget_set_size_request (v->pic[s], 320, 240);
      v->cap[s] = gtk_label_new ("");
      gtk_label_set_wrap (GTK_LABEL (v->cap[s]), TRUE);
      gtk_box_append (GTK_BOX (col), v->pic[s]);
      gtk_box_append (GTK_BOX (col), v->cap[s]);
      gtk_box_append (GTK_BOX (pair), col);
    }
  gtk_box_append (GTK_BOX (box), pair);
  gtk_window_set_child (v->win, box);
  gtk_window_present (v->win);
  rl_session_study_load (session, dir, v->cancel, on_loaded, v);
  return v->win;
}

static void
on_chosen (GtkNativeDialog *dialog, int response, gpointer data)
{
  RlSession *session = data;
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;
      if (path != NULL)
        relabel_study_view_open (gtk_native_dialog_get_transient_for (dialog), session, path);
    }
  g_object_unref (session);
  g_object_unref (dialog);
}

void
relabel_study_view_choose (GtkWindow *parent, RlSession *session)
{
  GtkFileChooserNative *d = gtk_file_chooser_native_new (
    "Open a Decoder Study (the --out folder of relabel study)", parent,
    GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, "_Open", "_Cancel");
  g_signal_connect (d, "response", G_CALLBACK (on_chosen), g_object_ref (session));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (d));
}
