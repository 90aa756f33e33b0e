/* The annotation workspace window: wires the image list, canvas, palette and toolbar to the
 * project (every stroke committed at its end), runs pre-label/retrain/import jobs, shows errors. */
#include "relabel-window.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "relabel-canvas.h"
#include "relabel-image-item.h"
#include "relabel-suspects-panel.h"
#include "rl-jobs.h"
#include "rl-session.h"

typedef enum
{
  SORT_NAME,
  SORT_MIOU,
  SORT_BF,
  SORT_STATUS,
  SORT_EDITS,
} SortMode;

struct _RelabelWindow
{
  GtkApplicationWindow parent_instance;

  /* template */
  GtkLabel *title_label;
  GtkLabel *subtitle_label;
  GtkInfoBar *info_bar;
  GtkLabel *info_label;
  GtkInfoBar *retrain_bar;
  GtkLabel *retrain_label;
  GtkButton *retrain_switch;
  GtkDropDown *sort_dropdown;
  GtkDropDown *filter_dropdown;
  GtkSearchEntry *search_entry;
  GtkListView *image_list;
  GtkLabel *list_summary;
  RelabelCanvas *canvas;
  GtkLabel *empty_label;
  GtkAdjustment *brush_adjustment;
  GtkDropDown *view_dropdown;
  GtkAdjustment *opacity_adjustment;
  GtkLabel *status_label;
  GtkStack *job_stack;
  GtkLabel *job_label;
  GtkProgressBar *job_progress;
  GtkButton *cancel_button;
  GtkLabel *zoom_label;
  GtkListBox *palette_list;
  GtkLabel *image_info_label;
  GMenu *recent_menu;
  RelabelSuspectsPanel *suspects_panel;

  /* owned */
  RlSession *session;
  GSettings *settings;
  GListStore *store;
  GtkCustomSorter *sorter;
  GtkCustomFilter *filter;
  GtkSingleSelection *selection;
  GArray *palette_values;     /* int: label value of palette row i */
  char *tool;
  FILE *frame_log;

  /* state */
  gboolean protect;
  gboolean erase_to_original;
  SortMode sort_mode;
  gint64 current_id;
  gint64 last_frame_time;
  char *pointer_text;
  gboolean has_project;       /* the session opened one */
  gboolean closing;           /* closed while a worker ran: hidden, destroyed when it returns */
  gint64 retrain_new_id;      /* the last Retrain's new version and its parent (0: none) */
  gint64 retrain_parent_id;
  gint64 retrain_current_id;  /* which of the two is current, as last set from this window */
  gboolean switching_model;   /* a make-current worker runs */
};

G_DEFINE_FINAL_TYPE (RelabelWindow, relabel_window, GTK_TYPE_APPLICATION_WINDOW)

enum
{
  PROP_0,
  PROP_TOOL,
  PROP_PROTECT,
  PROP_ERASE_TO_ORIGINAL,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

static void update_actions (RelabelWindow *self);
static void update_status (RelabelWindow *self);
static void finish_close (RelabelWindow *self);

/* ---- messages */

void
relabel_window_show_message (RelabelWindow *self, GtkMessageType type, const char *message)
{
  g_return_if_fail (RELABEL_IS_WINDOW (self));
  gtk_info_bar_set_message_type (self->info_bar, type);
  gtk_label_set_text (self->info_label, message);
  gtk_info_bar_set_revealed (self->info_bar, TRUE);
}

static void
show_error (RelabelWindow *self, const GError *error)
{
  relabel_window_show_message (self, GTK_MESSAGE_ERROR, error->message);
}

static void
on_info_response (GtkInfoBar *bar, int response, RelabelWindow *self)
{
  gtk_info_bar_set_revealed (bar, FALSE);
}

static void
frame_log (RelabelWindow *self, const char *line)
{
  if (self->frame_log != NULL)
    {
      fprintf (self->frame_log, "%s\n", line);
      fflush (self->frame_log);
    }
}

/* ---- image list */

static RelabelImageItem *
find_item (RelabelWindow *self, gint64 id, guint *position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (RelabelImageItem) item = g_list_model_get_item (G_LIST_MODEL (self->store), i);
      if (relabel_image_item_get_id (item) == id)
        {
          if (position)
            *position = i;
          return item;  /* the store keeps a reference */
        }
    }
  return NULL;
}

static void
update_summary (RelabelWindow *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  guint counts[4] = { 0 }, n_pred = 0;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (RelabelImageItem) item = g_list_model_get_item (G_LIST_MODEL (self->store), i);
      RlImageStatus st = relabel_image_item_get_status (item);
      if ((guint) st < 4)
        counts[st]++;
      n_pred += relabel_image_item_get_has_prediction (item);
    }
  g_autofree char *text = g_strdup_printf ("%u images · %u corrected · %u reviewed · %u predicted",
                                           n, counts[RL_IMAGE_CORRECTED],
                                           counts[RL_IMAGE_REVIEWED], n_pred);
  gtk_label_set_text (self->list_summary, text);
}

/* The session re-read an image's row: update it in the list. */
static void
on_image_changed (RlSession *session, RlImageInfo *info, RelabelWindow *self)
{
  RelabelImageItem *item = find_item (self, info->id, NULL);
  if (item == NULL)
    return;
  relabel_image_item_update (item, info);
  update_summary (self);
  if (self->sort_mode != SORT_NAME)
    gtk_sorter_changed (GTK_SORTER (self->sorter), GTK_SORTER_CHANGE_DIFFERENT);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  if (info->id == self->current_id)
    {
      update_status (self);
      update_actions (self);
    }
}

static double
metric_key (double v)
{
  return isnan (v) ? INFINITY : v;  /* unknown metrics sort after every known one */
}

static int
compare_items (gconstpointer a, gconstpointer b, gpointer data)
{
  RelabelWindow *self = data;
  RelabelImageItem *x = (RelabelImageItem *) a, *y = (RelabelImageItem *) b;
  double dx = 0, dy = 0;
  switch (self->sort_mode)
    {
    case SORT_MIOU:
      dx = metric_key (relabel_image_item_get_miou (x));
      dy = metric_key (relabel_image_item_get_miou (y));
      break;
    case SORT_BF:
      dx = metric_key (relabel_image_item_get_bf (x));
      dy = metric_key (relabel_image_item_get_bf (y));
      break;
    case SORT_STATUS:
      dx = relabel_image_item_get_status (x);
      dy = relabel_image_item_get_status (y);
      break;
    case SORT_EDITS:
      dx = -relabel_image_item_get_n_edits (x);
      dy = -relabel_image_item_get_n_edits (y);
      break;
    case SORT_NAME:
      break;
    }
  if (dx < dy)
    return -1;
  if (dx > dy)
    return 1;
  return g_strcmp0 (relabel_image_item_get_name (x), relabel_image_item_get_name (y));
}

static gboolean
filter_item (gpointer object, gpointer data)
{
  RelabelWindow *self = data;
  RelabelImageItem *item = object;
  guint status = gtk_drop_down_get_selected (self->filter_dropdown);
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  if (status != 0 && status != GTK_INVALID_LIST_POSITION
      && (guint) relabel_image_item_get_status (item) != status - 1)
    return FALSE;
  if (text != NULL && text[0] != '\0')
    {
      g_autofree char *a = g_utf8_casefold (relabel_image_item_get_name (item), -1);
      g_autofree char *b = g_utf8_casefold (text, -1);
      return strstr (a, b) != NULL;
    }
  return TRUE;
}

static void
on_sort_changed (GtkDropDown *dropdown, GParamSpec *pspec, RelabelWindow *self)
{
  self->sort_mode = (SortMode) gtk_drop_down_get_selected (dropdown);
  gtk_sorter_changed (GTK_SORTER (self->sorter), GTK_SORTER_CHANGE_DIFFERENT);
}

static void
on_filter_changed (RelabelWindow *self)
{
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static void
format_metric (GString *s, const char *name, double v)
{
  if (isnan (v))
    g_string_append_printf (s, " · %s –", name);
  else
    g_string_append_printf (s, " · %s %.2f", name, v);
}

static void
row_sync (GtkListItem *list_item)
{
  RelabelImageItem *item = gtk_list_item_get_item (list_item);
  GtkWidget *row = gtk_list_item_get_child (list_item);
  if (item == NULL || row == NULL)
    return;
  GtkWidget *picture = gtk_widget_get_first_child (row);
  GtkWidget *box = gtk_widget_get_next_sibling (picture);
  GtkWidget *top = gtk_widget_get_first_child (box);
  GtkWidget *name = gtk_widget_get_first_child (top);
  GtkWidget *pill = gtk_widget_get_next_sibling (name);
  GtkWidget *detail = gtk_widget_get_next_sibling (top);
  static const char *const pill_classes[] = {
    "status-unlabelled", "status-prelabelled", "status-corrected", "status-reviewed", "missing",
  };
  RlImageStatus st = relabel_image_item_get_status (item);

  gtk_picture_set_paintable (GTK_PICTURE (picture), relabel_image_item_get_thumbnail (item));
  gtk_label_set_text (GTK_LABEL (name), relabel_image_item_get_name (item));
  for (guint i = 0; i < G_N_ELEMENTS (pill_classes); i++)
    gtk_widget_remove_css_class (pill, pill_classes[i]);
  if (relabel_image_item_get_missing (item))
    {
      gtk_label_set_text (GTK_LABEL (pill), "missing");
      gtk_widget_add_css_class (pill, "missing");
    }
  else
    {
      gtk_label_set_text (GTK_LABEL (pill), relabel_image_status_name (st));
      if ((guint) st < 4)
        gtk_widget_add_css_class (pill, pill_classes[st]);
    }

  g_autoptr (GString) s = g_string_new (relabel_image_item_get_split (item));
  if (relabel_image_item_get_has_prediction (item))
    {
      format_metric (s, "mIoU", relabel_image_item_get_miou (item));
      format_metric (s, "BF", relabel_image_item_get_bf (item));
      if (relabel_image_item_get_in_sample (item))
        g_string_append (s, " (in-sample)");
    }
  else
    g_string_append (s, " · no prediction");
  if (relabel_image_item_get_n_edits (item) > 0)
    g_string_append_printf (s, " · %d edit%s", relabel_image_item_get_n_edits (item),
                            relabel_image_item_get_n_edits (item) == 1 ? "" : "s");
  gtk_label_set_text (GTK_LABEL (detail), s->str);
}

static void
row_setup (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer data)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *picture = gtk_picture_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *name = gtk_label_new (NULL);
  GtkWidget *pill = gtk_label_new (NULL);
  GtkWidget *detail = gtk_label_new (NULL);

  gtk_widget_set_size_request (picture, 56, 42);
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  gtk_widget_set_valign (picture, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (picture, "thumbnail");
  gtk_widget_set_hexpand (box, TRUE);
  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  gtk_widget_set_margin_top (row, 3);
  gtk_widget_set_margin_bottom (row, 3);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_set_hexpand (name, TRUE);
  gtk_widget_add_css_class (name, "image-name");
  gtk_widget_add_css_class (pill, "status-pill");
  gtk_widget_set_valign (pill, GTK_ALIGN_CENTER);
  gtk_label_set_xalign (GTK_LABEL (detail), 0);
  gtk_widget_add_css_class (detail, "dim-label");
  gtk_widget_add_css_class (detail, "caption");
  gtk_widget_add_css_class (detail, "numeric");
  gtk_box_append (GTK_BOX (top), name);
  gtk_box_append (GTK_BOX (top), pill);
  gtk_box_append (GTK_BOX (box), top);
  gtk_box_append (GTK_BOX (box), detail);
  gtk_box_append (GTK_BOX (row), picture);
  gtk_box_append (GTK_BOX (row), box);
  gtk_list_item_set_child (list_item, row);
}

static void
on_item_changed (RelabelImageItem *item, GtkListItem *list_item)
{
  row_sync (list_item);
}

static void
row_bind (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer data)
{
  RelabelImageItem *item = gtk_list_item_get_item (list_item);
  row_sync (list_item);
  g_signal_connect_object (item, "changed", G_CALLBACK (on_item_changed), list_item, 0);
}

static void
row_unbind (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer data)
{
  RelabelImageItem *item = gtk_list_item_get_item (list_item);
  if (item != NULL)
    g_signal_handlers_disconnect_by_func (item, on_item_changed, list_item);
}

/* ---- the shown image */

static void
update_status (RelabelWindow *self)
{
  RelabelImageItem *item = self->current_id ? find_item (self, self->current_id, NULL) : NULL;
  g_autoptr (GString) s = g_string_new (NULL);
  if (item != NULL)
    {
      g_string_append (s, relabel_image_item_get_name (item));
      if (self->pointer_text != NULL)
        g_string_append_printf (s, "   %s", self->pointer_text);
    }
  gtk_label_set_text (self->status_label, s->str);

  g_autofree char *zoom = g_strdup_printf ("%.0f%%", 100.0 * relabel_canvas_get_zoom (self->canvas));
  gtk_label_set_text (self->zoom_label, relabel_canvas_has_image (self->canvas) ? zoom : "");

  if (item != NULL)
    {
      g_autoptr (GString) info = g_string_new (NULL);
      g_string_append_printf (info, "%s · %s\n", relabel_image_item_get_split (item),
                              relabel_image_status_name (relabel_image_item_get_status (item)));
      g_string_append_printf (info, "%d undo steps", relabel_image_item_get_n_edits (item));
      if (relabel_image_item_get_has_prediction (item))
        {
          double m = relabel_image_item_get_miou (item), b = relabel_image_item_get_bf (item);
          if (!isnan (m))
            g_string_append_printf (info, "\nPrediction: mIoU %.3f", m);
          if (!isnan (b))
            g_string_append_printf (info, ", BF %.3f", b);
          if (relabel_image_item_get_in_sample (item) && !(isnan (m) && isnan (b)))
            g_string_append (info, " (in-sample: its model trained on this image)");
        }
      else
        g_string_append (info, "\nNo prediction yet");
      gtk_label_set_text (self->image_info_label, info->str);
    }
  else
    gtk_label_set_text (self->image_info_label, "");
}


static void
show_no_image (RelabelWindow *self)
{
  relabel_canvas_clear (self->canvas);
  gtk_widget_set_visible (GTK_WIDGET (self->empty_label), TRUE);
  update_status (self);
  update_actions (self);
}

/* Asks the session for the image: it decodes it and its masks on its writer thread. */
static void
load_image (RelabelWindow *self, RelabelImageItem *item)
{
  self->current_id = item ? relabel_image_item_get_id (item) : 0;
  rl_session_select_image (self->session, self->current_id);
  if (item == NULL)
    show_no_image (self);
}

static void
on_image_loaded (RlSession *session, gint64 id, RelabelWindow *self)
{
  int w = 0, h = 0;
  const guint8 *rgb = NULL, *cur = NULL, *orig = NULL, *pred = NULL;
  if (id == 0 || !rl_session_get_image (session, &w, &h, &rgb, &cur, &orig, &pred))
    {
      self->current_id = 0;
      show_no_image (self);
      return;
    }
  relabel_canvas_set_image (self->canvas, w, h, rgb, cur, orig, pred);
  gtk_widget_set_visible (GTK_WIDGET (self->empty_label), FALSE);
  update_status (self);
  update_actions (self);
}

static void
on_mask_changed (RlSession *session, gint64 id, int x0, int y0, int x1, int y1,
                 RelabelWindow *self)
{
  const guint8 *cur = NULL;
  if (id != self->current_id || !rl_session_get_image (session, NULL, NULL, NULL, &cur, NULL,
                                                       NULL))
    return;
  relabel_canvas_set_current_rect (self->canvas, cur, x0, y0, x1, y1);
}

static void
on_prediction_changed (RlSession *session, gint64 id, RelabelWindow *self)
{
  const guint8 *pred = NULL;
  if (id == self->current_id && relabel_canvas_has_image (self->canvas)
      && rl_session_get_image (session, NULL, NULL, NULL, NULL, NULL, &pred) && pred != NULL)
    relabel_canvas_set_prediction (self->canvas, pred);
}

static void
on_selection_changed (GtkSingleSelection *selection, GParamSpec *pspec, RelabelWindow *self)
{
  RelabelImageItem *item = gtk_single_selection_get_selected_item (selection);
  gint64 id = item ? relabel_image_item_get_id (item) : 0;
  if (id != self->current_id || !relabel_canvas_has_image (self->canvas))
    load_image (self, item);
}

/* The suspects panel goes to a region on another image: select it in the list (or load it when
 * the list's filter hides it). */
static void
on_suspect_go_to_image (RelabelSuspectsPanel *panel, gint64 id, RelabelWindow *self)
{
  GListModel *model = G_LIST_MODEL (self->selection);
  for (guint i = 0, n = g_list_model_get_n_items (model); i < n; i++)
    {
      g_autoptr (RelabelImageItem) item = g_list_model_get_item (model, i);
      if (relabel_image_item_get_id (item) == id)
        {
          gtk_single_selection_set_selected (self->selection, i);
          return;
        }
    }
  self->current_id = id;
  rl_session_select_image (self->session, id);
}

/* Shows the session's copy of the current labels again (after an edit it refused). */
static void
reload_current_mask (RelabelWindow *self)
{
  const guint8 *cur = NULL;
  if (rl_session_get_image (self->session, NULL, NULL, NULL, &cur, NULL, NULL))
    relabel_canvas_set_current (self->canvas, cur);
}

/* The canvas previewed the stroke in its copy; the session applies the same edit to its own copy
 * and queues it for its writer thread. */
static void
on_stroke_finished (RelabelCanvas *canvas, const char *tool, RelabelWindow *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RlEdit) edit = relabel_canvas_take_edit (canvas);
  if (edit == NULL || self->current_id == 0)
    return;
  if (!rl_session_apply_edit (self->session, edit, NULL, &error))
    {
      g_autofree char *msg = g_strdup_printf ("The stroke was not saved: %s", error->message);
      relabel_window_show_message (self, GTK_MESSAGE_ERROR, msg);
      reload_current_mask (self);
    }
}

static void
on_pointer_moved (RelabelCanvas *canvas, int x, int y, int v, RelabelWindow *self)
{
  RlClassSpec const *spec = self->has_project ? rl_session_get_class_spec (self->session) : NULL;
  g_clear_pointer (&self->pointer_text, g_free);
  if (v >= 0)
    {
      const char *name = "void";
      if (spec != NULL && v < spec->n_classes && rl_class_spec_is_class (spec, (guint) v))
        name = spec->classes[v].name;
      self->pointer_text = g_strdup_printf ("x %d  y %d   %s (%d)", x, y, name, v);
    }
  update_status (self);
}

static void
select_palette_value (RelabelWindow *self, int value)
{
  for (guint i = 0; i < self->palette_values->len; i++)
    if (g_array_index (self->palette_values, int, i) == value)
      {
        GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->palette_list, (int) i);
        gtk_list_box_select_row (self->palette_list, row);
        return;
      }
}

static void
on_class_picked (RelabelCanvas *canvas, int value, RelabelWindow *self)
{
  select_palette_value (self, value);
}

static void
on_palette_row_selected (GtkListBox *box, GtkListBoxRow *row, RelabelWindow *self)
{
  if (row == NULL)
    return;
  int i = gtk_list_box_row_get_index (row);
  if (i >= 0 && (guint) i < self->palette_values->len)
    relabel_canvas_set_class (self->canvas, g_array_index (self->palette_values, int, i));
}

static void
draw_swatch (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  guint32 rgb = GPOINTER_TO_UINT (data);
  cairo_rectangle (cr, 0.5, 0.5, width - 1, height - 1);
  cairo_set_source_rgb (cr, ((rgb >> 16) & 255) / 255.0, ((rgb >> 8) & 255) / 255.0,
                        (rgb & 255) / 255.0);
  cairo_fill_preserve (cr);
  cairo_set_source_rgba (cr, 0, 0, 0, 0.45);
  cairo_set_line_width (cr, 1);
  cairo_stroke (cr);
}

static void
build_palette (RelabelWindow *self, const RlClassSpec *spec)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->palette_list))) != NULL)
    gtk_list_box_remove (self->palette_list, child);
  g_array_set_size (self->palette_values, 0);
  if (spec == NULL)
    return;

  for (int v = 0; v < spec->n_classes; v++)
    {
      if (!rl_class_spec_is_class (spec, (guint) v))
        continue;
      guint n = self->palette_values->len;
      const RlClass *c = &spec->classes[v];
      GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
      GtkWidget *swatch = gtk_drawing_area_new ();
      GtkWidget *key = gtk_label_new (n < 10 ? (const char *[]) { "1", "2", "3", "4", "5", "6",
                                                                   "7", "8", "9", "0" }[n] : "");
      GtkWidget *name = gtk_label_new (c->name);
      guint32 rgb = ((guint32) c->r << 16) | ((guint32) c->g << 8) | c->b;

      gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (swatch), 18);
      gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (swatch), 18);
      gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (swatch), draw_swatch,
                                      GUINT_TO_POINTER (rgb), NULL);
      gtk_widget_set_valign (swatch, GTK_ALIGN_CENTER);
      gtk_label_set_width_chars (GTK_LABEL (key), 1);
      gtk_widget_add_css_class (key, "dim-label");
      gtk_widget_add_css_class (key, "numeric");
      gtk_label_set_xalign (GTK_LABEL (name), 0);
      gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
      gtk_widget_set_hexpand (name, TRUE);
      gtk_box_append (GTK_BOX (row), swatch);
      gtk_box_append (GTK_BOX (row), name);
      gtk_box_append (GTK_BOX (row), key);
      gtk_widget_set_margin_top (row, 3);
      gtk_widget_set_margin_bottom (row, 3);
      gtk_list_box_append (self->palette_list, row);
      g_array_append_val (self->palette_values, v);
    }
  gtk_list_box_select_row (self->palette_list, gtk_list_box_get_row_at_index (self->palette_list, 0));
}

/* ---- thumbnails */

static void
on_thumbnail (RlSession *session, gint64 image_id, int width, int height, GBytes *rgb,
              RelabelWindow *self)
{
  RelabelImageItem *item = find_item (self, image_id, NULL);
  if (item == NULL)
    return;
  g_autoptr (GdkTexture) texture = gdk_memory_texture_new (width, height, GDK_MEMORY_R8G8B8,
                                                           rgb, (gsize) width * 3);
  relabel_image_item_set_thumbnail (item, GDK_PAINTABLE (texture));
}



/* ---- recent projects */

#define RECENT_MENU_MAX 8

/* File > Open Recent: the newest RECENT_MENU_MAX projects of the "recent-projects" setting whose
 * file still exists, each labelled with its file name (the full path as a tooltip is not
 * possible in a GMenu, so a name shared by two folders gets its folder added). */
static void
update_recent_menu (RelabelWindow *self)
{
  g_menu_remove_all (self->recent_menu);
  if (self->settings == NULL)
    return;
  g_auto (GStrv) recent = g_settings_get_strv (self->settings, "recent-projects");
  g_autoptr (GPtrArray) shown = g_ptr_array_new ();
  for (guint i = 0; recent[i] != NULL && shown->len < RECENT_MENU_MAX; i++)
    if (g_path_is_absolute (recent[i]) && g_file_test (recent[i], G_FILE_TEST_IS_REGULAR))
      g_ptr_array_add (shown, recent[i]);
  for (guint i = 0; i < shown->len; i++)
    {
      const char *path = g_ptr_array_index (shown, i);
      g_autofree char *base = g_path_get_basename (path);
      gboolean shared = FALSE;
      for (guint j = 0; j < shown->len && !shared; j++)
        {
          g_autofree char *other = g_path_get_basename (g_ptr_array_index (shown, j));
          shared = j != i && g_str_equal (other, base);
        }
      g_autofree char *text = NULL;
      if (shared)
        {
          g_autofree char *dir = g_path_get_dirname (path);
          g_autofree char *dir_base = g_path_get_basename (dir);
          text = g_strdup_printf ("%s (%s)", base, dir_base);
        }
      else
        text = g_strdup (base);
      /* a GMenu label reads "_" as a mnemonic marker: double it */
      g_auto (GStrv) parts = g_strsplit (text, "_", -1);
      g_autofree char *label = g_strjoinv ("__", parts);
      g_autoptr (GMenuItem) item = g_menu_item_new (label, NULL);
      g_menu_item_set_action_and_target_value (item, "win.open-recent",
                                               g_variant_new_string (path));
      g_menu_append_item (self->recent_menu, item);
    }
  if (shown->len == 0)
    {
      /* an item without an action is shown insensitive */
      g_menu_append (self->recent_menu, "No Recent Projects", NULL);
    }
}

/* ---- opening */

gboolean
relabel_window_open_project (RelabelWindow *self, const char *path)
{
  g_return_val_if_fail (RELABEL_IS_WINDOW (self), FALSE);
  /* the session opens it on its writer thread; "project-opened" or "error" follows */
  rl_session_open (self->session, path);
  return TRUE;
}

static void
on_project_opened (RlSession *session, RelabelWindow *self)
{
  const char *path = rl_session_get_path (session);
  GPtrArray *images = rl_session_get_images (session);
  self->has_project = TRUE;
  self->current_id = 0;
  gtk_info_bar_set_revealed (self->info_bar, FALSE);

  const RlClassSpec *spec = rl_session_get_class_spec (session);
  relabel_canvas_set_spec (self->canvas, spec);
  build_palette (self, spec);

  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *title = g_strdup_printf ("%s — Relabel", base);
  gtk_window_set_title (GTK_WINDOW (self), title);
  gtk_label_set_text (self->title_label, base);
  gtk_label_set_text (self->subtitle_label, path);

  g_list_store_remove_all (self->store);
  for (guint i = 0; i < images->len; i++)
    {
      g_autoptr (RelabelImageItem) item = relabel_image_item_new (g_ptr_array_index (images, i));
      g_list_store_append (self->store, item);
    }
  update_summary (self);
  if (images->len == 0)
    relabel_window_show_message (self, GTK_MESSAGE_INFO,
                                 "This project has no images yet: use New Project from Dataset.");

  if (self->settings != NULL)
    {
      g_auto (GStrv) recent = g_settings_get_strv (self->settings, "recent-projects");
      g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
      g_strv_builder_add (b, path);
      for (guint i = 0; recent[i] != NULL && i < 9; i++)
        if (g_strcmp0 (recent[i], path) != 0)
          g_strv_builder_add (b, recent[i]);
      g_auto (GStrv) list = g_strv_builder_end (b);
      g_settings_set_strv (self->settings, "recent-projects", (const char *const *) list);
    }

  /* show the first image of the (sorted, filtered) list */
  if (g_list_model_get_n_items (G_LIST_MODEL (self->selection)) > 0)
    gtk_single_selection_set_selected (self->selection, 0);
  RelabelImageItem *first = gtk_single_selection_get_selected_item (self->selection);
  if (first == NULL || relabel_image_item_get_id (first) != self->current_id)
    load_image (self, first);   /* unless the selection's notification asked already */
  gtk_widget_grab_focus (GTK_WIDGET (self->canvas));
}

/* ---- jobs */

static void
set_job_visible (RelabelWindow *self, gboolean visible, const char *what)
{
  /* a stack of equal height: showing the job never resizes the canvas */
  gtk_stack_set_visible_child_name (self->job_stack, visible ? "job" : "idle");
  if (what != NULL)
    gtk_label_set_text (self->job_label, what);
  gtk_progress_bar_set_fraction (self->job_progress, 0);
  update_actions (self);
}

static void
on_job_progress (RlSession *session, double fraction, const char *text, RelabelWindow *self)
{
  gtk_progress_bar_set_fraction (self->job_progress, fraction);
  gtk_label_set_text (self->job_label, text);
  if (g_str_has_prefix (text, "Pre-labelling "))
    {
      g_autofree char *line = g_strdup_printf ("# progress %s", text + strlen ("Pre-labelling "));
      frame_log (self, line);
    }
}

static void
prelabel_done (RelabelWindow *self, gboolean ok, const GError *error, guint n_done)
{
  g_autofree char *line = g_strdup_printf ("# job-end %u %s", n_done, ok ? "ok" : "failed");
  frame_log (self, line);
  if (self->closing)
    return;
  set_job_visible (self, FALSE, NULL);
  if (!ok && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *msg = g_strdup_printf ("Pre-label stopped: %s", error->message);
      relabel_window_show_message (self, GTK_MESSAGE_ERROR, msg);
    }
  else
    {
      g_autofree char *msg = g_strdup_printf ("%s: %u image%s predicted",
                                              ok ? "Pre-label finished" : "Pre-label cancelled",
                                              n_done, n_done == 1 ? "" : "s");
      gtk_label_set_text (self->status_label, msg);
    }
}

static void
start_prelabel (RelabelWindow *self, gboolean all)
{
  if (!self->has_project || rl_session_has_job (self->session) || self->closing)
    return;
  if (rl_session_get_current_model (self->session) == 0)
    {
      relabel_window_show_message (self, GTK_MESSAGE_WARNING,
                                   "This project has no model yet: add one with “Add Model to "
                                   "Project…” in the main menu.");
      return;
    }
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  if (all)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
      for (guint i = 0; i < n; i++)
        {
          g_autoptr (RelabelImageItem) item = g_list_model_get_item (G_LIST_MODEL (self->store), i);
          gint64 id = relabel_image_item_get_id (item);
          g_array_append_val (ids, id);
        }
    }
  else if (self->current_id != 0)
    g_array_append_val (ids, self->current_id);
  if (ids->len == 0)
    return;
  set_job_visible (self, TRUE, "Pre-labelling…");
  frame_log (self, "# job-start");
  /* the worker exports the model and stores each prediction on its own connection; the session
   * reads each new row back on its writer thread */
  rl_session_prelabel (self->session, (const gint64 *) ids->data, ids->len,
                       self->settings ? g_settings_get_int (self->settings, "threads") : 0);
  update_actions (self);
}

/* ---- retrain */



/* "G 84.0 → 84.1 %, mIoU 51.0 → 51.2 %" of one set of before/after scores. */
static void
append_scores (GString *s, const char *what, const RlFinetuneScores *sc)
{
  g_string_append_printf (s, "%s (%d image%s", what, sc->images, sc->images == 1 ? "" : "s");
  if (sc->before_in_sample && sc->after_in_sample)
    g_string_append (s, ", in-sample");
  else if (sc->after_in_sample)
    g_string_append (s, ", in-sample after");
  else if (sc->before_in_sample)
    g_string_append (s, ", in-sample before");
  g_string_append_printf (s, "): G %.1f → %.1f %%, mIoU %.1f → %.1f %%", 100 * sc->before_g,
                          100 * sc->after_g, 100 * sc->before_miou, 100 * sc->after_miou);
}

/* The retrain bar's button offers the version of the last Retrain that is not current. */
static void
update_retrain_switch (RelabelWindow *self)
{
  gint64 other = self->retrain_current_id == self->retrain_new_id ? self->retrain_parent_id
                                                                  : self->retrain_new_id;
  gboolean can = other > 0 && !self->switching_model;
  gtk_widget_set_visible (GTK_WIDGET (self->retrain_switch), other > 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->retrain_switch), can);
  if (other > 0)
    {
      g_autofree char *label = g_strdup_printf ("_Use version %" G_GINT64_FORMAT, other);
      gtk_button_set_label (self->retrain_switch, label);
    }
}

static void
retrain_done (RelabelWindow *self, gboolean ok, const GError *error, const RlFinetuneResult *rp)
{
  RlFinetuneResult r = *rp;
  frame_log (self, ok ? "# retrain-end ok"
                      : g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                      ? "# retrain-end cancelled" : "# retrain-end failed");
  if (self->closing || gtk_widget_in_destruction (GTK_WIDGET (self)))
    return;
  set_job_visible (self, FALSE, NULL);
  if (!ok)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        gtk_label_set_text (self->status_label, "Retrain cancelled: the model is unchanged");
      else
        {
          g_autofree char *msg = g_strdup_printf ("Retrain failed: %s", error->message);
          relabel_window_show_message (self, GTK_MESSAGE_ERROR, msg);
        }
      return;
    }
  /* Everything shown comes from the worker's result: no database read on this thread. */
  g_autoptr (GString) s = g_string_new (NULL);
  g_string_append_printf (s, "Retrained: version %" G_GINT64_FORMAT, r.model_id);
  if (r.parent_id > 0)
    g_string_append_printf (s, " from version %" G_GINT64_FORMAT, r.parent_id);
  g_string_append_printf (s, " (%.0f s). ", r.seconds);
  if (r.heldout.images > 0)
    append_scores (s, "Held-out", &r.heldout);
  else
    g_string_append (s, "No held-out images");
  if (r.corrected.images > 0)
    {
      g_string_append (s, "; ");
      append_scores (s, "corrected", &r.corrected);
    }
  g_string_append (s, ". ");
  if (r.made_current)
    g_string_append_printf (s, "Version %" G_GINT64_FORMAT " is now the current model.",
                            r.model_id);
  else
    {
      /* the reason's first letter capitalised: it starts a sentence here */
      g_autofree char *reason = g_strdup (r.reason);
      reason[0] = g_ascii_toupper (reason[0]);
      g_string_append_printf (s, "%s.", reason);
    }
  self->retrain_new_id = r.model_id;
  self->retrain_parent_id = r.parent_id;
  self->retrain_current_id = r.current_id;
  gtk_info_bar_set_message_type (self->retrain_bar, r.made_current ? GTK_MESSAGE_INFO
                                                                   : GTK_MESSAGE_WARNING);
  gtk_label_set_text (self->retrain_label, s->str);
  update_retrain_switch (self);
  gtk_info_bar_set_revealed (self->retrain_bar, TRUE);
  g_autofree char *line = g_strdup_printf ("# retrain-result %s", s->str);
  frame_log (self, line);
  gtk_label_set_text (self->status_label, r.made_current ? "Retrain finished"
                                                         : "Retrain finished: version kept, "
                                                           "not made current");
}

static void
current_model_set (RelabelWindow *self, gboolean ok, const GError *error, gint64 id)
{
  self->switching_model = FALSE;
  if (self->closing || gtk_widget_in_destruction (GTK_WIDGET (self)))
    return;
  if (!ok)
    {
      show_error (self, error);
      update_retrain_switch (self);
      return;
    }
  self->retrain_current_id = id;
  update_retrain_switch (self);
  g_autofree char *msg = g_strdup_printf ("Version %" G_GINT64_FORMAT " is now the current model",
                                          id);
  gtk_label_set_text (self->status_label, msg);
  g_autofree char *line = g_strdup_printf ("# current-model %" G_GINT64_FORMAT, id);
  frame_log (self, line);
}

/* The retrain bar's button: the other version of the last Retrain becomes current (a worker
 * writes it on its own connection). */
static void
on_retrain_switch_clicked (GtkButton *button, RelabelWindow *self)
{
  gint64 other = self->retrain_current_id == self->retrain_new_id ? self->retrain_parent_id
                                                                  : self->retrain_new_id;
  if (!self->has_project || other <= 0 || self->switching_model)
    return;
  self->switching_model = TRUE;
  update_retrain_switch (self);
  rl_session_set_current_model (self->session, other);
}

static void
on_retrain_bar_response (GtkInfoBar *bar, int response, RelabelWindow *self)
{
  gtk_info_bar_set_revealed (bar, FALSE);
}

static void
start_retrain (RelabelWindow *self)
{
  if (!self->has_project || rl_session_has_job (self->session) || self->closing)
    return;
  if (rl_session_get_current_model (self->session) == 0)
    {
      relabel_window_show_message (self, GTK_MESSAGE_WARNING,
                                   "This project has no model to retrain: add one with “Add Model "
                                   "to Project…” in the main menu.");
      return;
    }
  /* the same defaults as `relabel finetune` (README.md, "Retrain");
   * RELABEL_FINETUNE_ITERS overrides the steps (the GUI tests use a few) */
  RlFinetuneOptions opt;
  rl_finetune_options_init (&opt);
  const char *env = g_getenv ("RELABEL_FINETUNE_ITERS");
  if (env != NULL && atoi (env) > 0)
    opt.iters = atoi (env);
  opt.quiet = TRUE;
  opt.threads = self->settings ? g_settings_get_int (self->settings, "threads") : 0;

  gtk_info_bar_set_revealed (self->info_bar, FALSE);
  gtk_info_bar_set_revealed (self->retrain_bar, FALSE);
  set_job_visible (self, TRUE, "Retrain: starting…");
  frame_log (self, "# retrain-start");
  rl_session_retrain (self->session, &opt);
  update_actions (self);
}


/* Every job's end: the session ran it and says how it went. */
static void
on_job_finished (RlSession *session, const char *kind, gboolean ok, GError *error,
                 gpointer result, RelabelWindow *self)
{
  if (g_str_equal (kind, "prelabel"))
    prelabel_done (self, ok, error, *(guint *) result);
  else if (g_str_equal (kind, "retrain"))
    retrain_done (self, ok, error, result);
  else if (g_str_equal (kind, "current-model"))
    current_model_set (self, ok, error, *(gint64 *) result);
  else if (!self->closing)   /* import: the session opens the new project */
    {
      set_job_visible (self, FALSE, NULL);
      if (!ok && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, error);
    }
  update_actions (self);
}

/* ---- file choosers */

static void
on_open_response (GtkNativeDialog *dialog, int response, RelabelWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      if (path != NULL)
        relabel_window_open_project (self, path);
    }
  g_object_unref (dialog);
}

static void
action_open_recent (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  /* like Open Project…: a running job on the current project is cancelled */
  relabel_window_open_project (self, g_variant_get_string (param, NULL));
}

static void
action_open (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new ("Open Project", GTK_WINDOW (self),
                                                              GTK_FILE_CHOOSER_ACTION_OPEN,
                                                              "_Open", "_Cancel");
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, "Relabel projects");
  gtk_file_filter_add_pattern (filter, "*.relabel");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_signal_connect (dialog, "response", G_CALLBACK (on_open_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
on_new_project_save (GtkNativeDialog *dialog, int response, RelabelWindow *self)
{
  char *dataset = g_object_steal_data (G_OBJECT (dialog), "dataset");
  if (response == GTK_RESPONSE_ACCEPT && !rl_session_has_job (self->session))
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      if (path != NULL && !g_str_has_suffix (path, ".relabel"))
        {
          char *with = g_strconcat (path, ".relabel", NULL);
          g_free (path);
          path = with;
        }
      if (path != NULL)
        {
          const char *kind = rl_guess_dataset_kind (dataset);
          set_job_visible (self, TRUE, "Importing…");
          rl_session_import (self->session, path, kind, dataset);
          update_actions (self);
        }
    }
  g_free (dataset);
  g_object_unref (dialog);
}

static void
on_new_project_folder (GtkNativeDialog *dialog, int response, RelabelWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *base = g_file_get_basename (folder);
      g_autofree char *name = g_strconcat (base, ".relabel", NULL);
      GtkFileChooserNative *save = gtk_file_chooser_native_new ("Save the New Project As",
                                                                GTK_WINDOW (self),
                                                                GTK_FILE_CHOOSER_ACTION_SAVE,
                                                                "_Create", "_Cancel");
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (save), name);
      g_object_set_data_full (G_OBJECT (save), "dataset", g_file_get_path (folder), g_free);
      g_signal_connect (save, "response", G_CALLBACK (on_new_project_save), self);
      gtk_native_dialog_show (GTK_NATIVE_DIALOG (save));
    }
  g_object_unref (dialog);
}

static void
action_new_project (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new ("Choose a Dataset Folder (CamVid, SUN RGB-D or images + labels)",
                                 GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                 "_Choose", "_Cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (on_new_project_folder), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

gboolean
relabel_window_add_model (RelabelWindow *self, const char *path)
{
  g_return_val_if_fail (RELABEL_IS_WINDOW (self), FALSE);
  /* queued after the open: the writer runs them in order; failures come as "error" */
  rl_session_add_model (self->session, path, FALSE);
  return TRUE;
}

void
relabel_window_ensure_model (RelabelWindow *self, const char *path)
{
  g_return_if_fail (RELABEL_IS_WINDOW (self));
  rl_session_add_model (self->session, path, TRUE);
}

static void
on_add_model_response (GtkNativeDialog *dialog, int response, RelabelWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT && self->has_project)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      if (path != NULL)
        relabel_window_add_model (self, path);
    }
  g_object_unref (dialog);
}

static void
action_add_model (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new ("Add a Model (safetensors)",
                                                              GTK_WINDOW (self),
                                                              GTK_FILE_CHOOSER_ACTION_OPEN,
                                                              "_Add", "_Cancel");
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, "SegNet models (*.safetensors)");
  gtk_file_filter_add_pattern (filter, "*.safetensors");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_signal_connect (dialog, "response", G_CALLBACK (on_add_model_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* ---- actions */

static void
update_actions (RelabelWindow *self)
{
  GtkWidget *w = GTK_WIDGET (self);
  gboolean has_image = self->has_project && self->current_id != 0;
  gboolean busy = rl_session_has_job (self->session);
  RelabelImageItem *item = has_image ? find_item (self, self->current_id, NULL) : NULL;

  /* a stroke just made may not be committed yet: the session says when there is nothing to undo */
  gtk_widget_action_set_enabled (w, "win.undo", has_image);
  gtk_widget_action_set_enabled (w, "win.redo", has_image);
  gtk_widget_action_set_enabled (w, "win.prelabel-current", has_image && !busy);
  gtk_widget_action_set_enabled (w, "win.prelabel-all", self->has_project && !busy);
  gtk_widget_action_set_enabled (w, "win.retrain", self->has_project && !busy);
  gtk_widget_action_set_enabled (w, "win.cancel-job", busy);
  gtk_widget_action_set_enabled (w, "win.new-project", !busy);
  gtk_widget_action_set_enabled (w, "win.add-model", self->has_project);
  gtk_widget_action_set_enabled (w, "win.accept-prediction",
                                 item && relabel_image_item_get_has_prediction (item));
  gtk_widget_action_set_enabled (w, "win.accept-prediction-void",
                                 item && relabel_image_item_get_has_prediction (item));
  gtk_widget_action_set_enabled (w, "win.mark-reviewed", has_image);
}

static void
undo_redo (RelabelWindow *self, gboolean redo)
{
  if (self->current_id == 0)
    return;
  if (redo)
    rl_session_redo (self->session);
  else
    rl_session_undo (self->session);
}

static void
on_notice (RlSession *session, const char *text, RelabelWindow *self)
{
  gtk_label_set_text (self->status_label, text);
  update_actions (self);
}

static void
on_session_error (RlSession *session, const char *text, RelabelWindow *self)
{
  relabel_window_show_message (self, GTK_MESSAGE_ERROR, text);
}

static void
action_undo (GtkWidget *widget, const char *name, GVariant *param)
{
  undo_redo (RELABEL_WINDOW (widget), FALSE);
}

static void
action_redo (GtkWidget *widget, const char *name, GVariant *param)
{
  undo_redo (RELABEL_WINDOW (widget), TRUE);
}

static void
action_retrain (GtkWidget *widget, const char *name, GVariant *param)
{
  start_retrain (RELABEL_WINDOW (widget));
}

static void
action_prelabel (GtkWidget *widget, const char *name, GVariant *param)
{
  start_prelabel (RELABEL_WINDOW (widget), g_str_equal (name, "win.prelabel-all"));
}

static void
action_cancel_job (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  if (rl_session_has_job (self->session))
    {
      rl_session_cancel_job (self->session);
      gtk_label_set_text (self->job_label, "Cancelling…");
    }
}

static void
action_accept_prediction (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  g_autoptr (GError) error = NULL;
  guint n = 0;
  if (self->current_id == 0)
    return;
  g_autoptr (RlEdit) edit = rl_edit_new (RL_EDIT_WHOLE_IMAGE, "accept-prediction");
  edit->source = RL_EDIT_SOURCE_PREDICTION;
  if (g_str_equal (name, "win.accept-prediction-void"))
    edit->protect = RL_PROTECT_VOID;
  if (!rl_session_apply_edit (self->session, edit, &n, &error))
    {
      show_error (self, error);
      return;
    }
  g_autofree char *msg = g_strdup_printf ("Prediction accepted: %u pixels changed (Ctrl+Z undoes)",
                                          n);
  gtk_label_set_text (self->status_label, msg);
}

static void
action_mark_reviewed (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  if (self->current_id != 0)
    rl_session_set_status (self->session, self->current_id, RL_IMAGE_REVIEWED);
}

static void
action_navigate (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->selection));
  guint pos = gtk_single_selection_get_selected (self->selection);
  int delta = g_variant_get_int32 (param);
  if (n == 0)
    return;
  if (pos == GTK_INVALID_LIST_POSITION)
    pos = 0;
  else if (delta < 0 && pos > 0)
    pos--;
  else if (delta > 0 && pos + 1 < n)
    pos++;
  gtk_single_selection_set_selected (self->selection, pos);
  gtk_widget_activate_action (GTK_WIDGET (self->image_list), "list.scroll-to-item", "u", pos);
}

static void
action_select_class (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  int i = g_variant_get_int32 (param);
  if (i >= 0 && (guint) i < self->palette_values->len)
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->palette_list, i);
      gtk_list_box_select_row (self->palette_list, row);
    }
}

static void
action_brush_size (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  double r = gtk_adjustment_get_value (self->brush_adjustment);
  double step = MAX (1.0, round (r * 0.2));
  gtk_adjustment_set_value (self->brush_adjustment,
                            r + (g_variant_get_int32 (param) > 0 ? step : -step));
}

static void
action_toggle_overlay (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  relabel_canvas_set_overlay_visible (self->canvas,
                                      !relabel_canvas_get_overlay_visible (self->canvas));
}

static void
action_cycle_view (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  guint v = gtk_drop_down_get_selected (self->view_dropdown);
  gtk_drop_down_set_selected (self->view_dropdown, (v + 1) % 5);
}

static void
action_zoom (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  if (g_str_equal (name, "win.zoom-in"))
    relabel_canvas_zoom (self->canvas, 1.25);
  else if (g_str_equal (name, "win.zoom-out"))
    relabel_canvas_zoom (self->canvas, 0.8);
  else
    relabel_canvas_zoom_fit (self->canvas);
  update_status (self);
}

static void
on_view_changed (GtkDropDown *dropdown, GParamSpec *pspec, RelabelWindow *self)
{
  relabel_canvas_set_view (self->canvas, (RelabelView) gtk_drop_down_get_selected (dropdown));
}

static void
on_canvas_view_changed (RelabelCanvas *canvas, RelabelWindow *self)
{
  gtk_drop_down_set_selected (self->view_dropdown, relabel_canvas_get_view (canvas));
}

static void
on_brush_changed (GtkAdjustment *adj, RelabelWindow *self)
{
  relabel_canvas_set_brush_radius (self->canvas, gtk_adjustment_get_value (adj));
}

static void
on_opacity_changed (GtkAdjustment *adj, RelabelWindow *self)
{
  relabel_canvas_set_opacity (self->canvas, gtk_adjustment_get_value (adj));
  relabel_canvas_set_overlay_visible (self->canvas, TRUE);
}

static RelabelTool
tool_from_name (const char *name)
{
  if (g_strcmp0 (name, "eraser") == 0)
    return RELABEL_TOOL_ERASER;
  if (g_strcmp0 (name, "fill") == 0)
    return RELABEL_TOOL_FILL;
  if (g_strcmp0 (name, "polygon") == 0)
    return RELABEL_TOOL_POLYGON;
  if (g_strcmp0 (name, "eyedropper") == 0)
    return RELABEL_TOOL_EYEDROPPER;
  return RELABEL_TOOL_BRUSH;
}

static gboolean
on_frame_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  gint64 t = gdk_frame_clock_get_frame_time (clock);
  if (self->last_frame_time != 0 && self->frame_log != NULL)
    {
      /* the gap since the last frame, and when this tick ran (CLOCK_MONOTONIC, ms): the GUI
       * test compares stalls with those another process saw at the same time */
      g_autofree char *line = g_strdup_printf ("%.3f %.3f", (t - self->last_frame_time) / 1000.0,
                                               g_get_monotonic_time () / 1000.0);
      frame_log (self, line);
    }
  self->last_frame_time = t;
  return G_SOURCE_CONTINUE;
}

/* ---- prediction scores after an edit */


/* The session rescored a prediction after an edit (on its writer thread). */
static void
on_rescored (RlSession *session, gint64 id, gboolean ok, double miou, double bf, double ms,
             RelabelWindow *self)
{
  if (self->frame_log != NULL)
    {
      g_autofree char *line =
        g_strdup_printf ("# rescore %" G_GINT64_FORMAT " %s miou %.6f bf %.6f %.1f ms", id,
                         ok ? "ok" : "failed", miou, bf, ms);
      frame_log (self, line);
    }
}



/* ---- closing */

/* Destroys a window closed while the session worked, once it is idle. */
static void
finish_close (RelabelWindow *self)
{
  if (self->closing && !rl_session_is_busy (self->session)
      && !gtk_widget_in_destruction (GTK_WIDGET (self)))
    {
      frame_log (self, "# closed");
      gtk_window_destroy (GTK_WINDOW (self));
    }
}

/* Closing (window close, Ctrl+Q) while a job runs: the worker still reports to this window and
 * writes the project, and the process must not exit under it. Hide the window, cancel, and
 * destroy it when the job's GTask completes (the main loop keeps running meanwhile; the
 * application lives as long as it has a window). */
static gboolean
relabel_window_close_request (GtkWindow *window)
{
  RelabelWindow *self = RELABEL_WINDOW (window);
  if (!rl_session_is_busy (self->session))
    return GTK_WINDOW_CLASS (relabel_window_parent_class)->close_request (window);
  if (!self->closing)
    {
      self->closing = TRUE;
      frame_log (self, "# close-deferred");
      rl_session_shutdown (self->session);
      gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
    }
  return TRUE;
}

/* ---- GObject */

static void
relabel_window_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  RelabelWindow *self = RELABEL_WINDOW (object);
  switch (prop_id)
    {
    case PROP_TOOL: g_value_set_string (value, self->tool); break;
    case PROP_PROTECT: g_value_set_boolean (value, self->protect); break;
    case PROP_ERASE_TO_ORIGINAL: g_value_set_boolean (value, self->erase_to_original); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
relabel_window_set_property (GObject *object, guint prop_id, const GValue *value,
                             GParamSpec *pspec)
{
  RelabelWindow *self = RELABEL_WINDOW (object);
  switch (prop_id)
    {
    case PROP_TOOL:
      g_free (self->tool);
      self->tool = g_value_dup_string (value);
      relabel_canvas_set_tool (self->canvas, tool_from_name (self->tool));
      break;
    case PROP_PROTECT:
      self->protect = g_value_get_boolean (value);
      relabel_canvas_set_protect (self->canvas, self->protect);
      break;
    case PROP_ERASE_TO_ORIGINAL:
      self->erase_to_original = g_value_get_boolean (value);
      relabel_canvas_set_erase_to_original (self->canvas, self->erase_to_original);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
relabel_window_dispose (GObject *object)
{
  RelabelWindow *self = RELABEL_WINDOW (object);
  if (self->session != NULL)
    {
      rl_session_shutdown (self->session);
      g_signal_handlers_disconnect_by_data (self->session, self);
      g_clear_object (&self->session);
    }
  g_clear_object (&self->settings);
  g_clear_object (&self->selection);
  g_clear_object (&self->store);
  gtk_widget_dispose_template (GTK_WIDGET (self), RELABEL_TYPE_WINDOW);
  G_OBJECT_CLASS (relabel_window_parent_class)->dispose (object);
}

static void
relabel_window_finalize (GObject *object)
{
  RelabelWindow *self = RELABEL_WINDOW (object);
  g_array_unref (self->palette_values);
  g_free (self->tool);
  g_free (self->pointer_text);
  if (self->frame_log != NULL)
    fclose (self->frame_log);
  G_OBJECT_CLASS (relabel_window_parent_class)->finalize (object);
}

static void
add_key (GtkWidgetClass *klass, guint key, GdkModifierType mods, const char *action,
         const char *format, int arg)
{
  if (format != NULL)
    gtk_widget_class_add_binding_action (klass, key, mods, action, format, arg);
  else
    gtk_widget_class_add_binding_action (klass, key, mods, action, NULL);
}

static void
relabel_window_class_init (RelabelWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = relabel_window_get_property;
  object_class->set_property = relabel_window_set_property;
  object_class->dispose = relabel_window_dispose;
  object_class->finalize = relabel_window_finalize;
  GTK_WINDOW_CLASS (klass)->close_request = relabel_window_close_request;

  properties[PROP_TOOL] = g_param_spec_string ("tool", NULL, NULL, "brush",
                                               G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROTECT] = g_param_spec_boolean ("protect", NULL, NULL, FALSE,
                                                   G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERASE_TO_ORIGINAL] =
    g_param_spec_boolean ("erase-to-original", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (RELABEL_TYPE_CANVAS);
  g_type_ensure (RELABEL_TYPE_SUSPECTS_PANEL);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/relabel/Relabel/ui/relabel-window.ui");
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, title_label);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, info_bar);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, info_label);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, retrain_bar);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, retrain_label);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, retrain_switch);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, sort_dropdown);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, filter_dropdown);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, image_list);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, list_summary);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, canvas);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, suspects_panel);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, empty_label);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, brush_adjustment);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, view_dropdown);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, opacity_adjustment);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, job_stack);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, job_label);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, job_progress);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, zoom_label);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, palette_list);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, image_info_label);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, recent_menu);
  gtk_widget_class_bind_template_callback (widget_class, on_info_response);

  gtk_widget_class_install_action (widget_class, "win.open", NULL, action_open);
  gtk_widget_class_install_action (widget_class, "win.open-recent", "s", action_open_recent);
  gtk_widget_class_install_action (widget_class, "win.new-project", NULL, action_new_project);
  gtk_widget_class_install_action (widget_class, "win.add-model", NULL, action_add_model);
  gtk_widget_class_install_action (widget_class, "win.undo", NULL, action_undo);
  gtk_widget_class_install_action (widget_class, "win.redo", NULL, action_redo);
  gtk_widget_class_install_action (widget_class, "win.prelabel-current", NULL, action_prelabel);
  gtk_widget_class_install_action (widget_class, "win.prelabel-all", NULL, action_prelabel);
  gtk_widget_class_install_action (widget_class, "win.retrain", NULL, action_retrain);
  gtk_widget_class_install_action (widget_class, "win.cancel-job", NULL, action_cancel_job);
  gtk_widget_class_install_action (widget_class, "win.accept-prediction", NULL,
                                   action_accept_prediction);
  gtk_widget_class_install_action (widget_class, "win.accept-prediction-void", NULL,
                                   action_accept_prediction);
  gtk_widget_class_install_action (widget_class, "win.mark-reviewed", NULL, action_mark_reviewed);
  gtk_widget_class_install_action (widget_class, "win.navigate", "i", action_navigate);
  gtk_widget_class_install_action (widget_class, "win.select-class", "i", action_select_class);
  gtk_widget_class_install_action (widget_class, "win.brush-size", "i", action_brush_size);
  gtk_widget_class_install_action (widget_class, "win.toggle-overlay", NULL,
                                   action_toggle_overlay);
  gtk_widget_class_install_action (widget_class, "win.cycle-view", NULL, action_cycle_view);
  gtk_widget_class_install_action (widget_class, "win.zoom-in", NULL, action_zoom);
  gtk_widget_class_install_action (widget_class, "win.zoom-out", NULL, action_zoom);
  gtk_widget_class_install_action (widget_class, "win.zoom-fit", NULL, action_zoom);
  gtk_widget_class_install_property_action (widget_class, "win.tool", "tool");
  gtk_widget_class_install_property_action (widget_class, "win.protect", "protect");
  gtk_widget_class_install_property_action (widget_class, "win.erase-to-original",
                                            "erase-to-original");

  add_key (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open", NULL, 0);
  add_key (widget_class, GDK_KEY_z, GDK_CONTROL_MASK, "win.undo", NULL, 0);
  add_key (widget_class, GDK_KEY_z, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.redo", NULL, 0);
  add_key (widget_class, GDK_KEY_Z, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.redo", NULL, 0);
  add_key (widget_class, GDK_KEY_y, GDK_CONTROL_MASK, "win.redo", NULL, 0);
  add_key (widget_class, GDK_KEY_l, GDK_CONTROL_MASK, "win.prelabel-current", NULL, 0);
  add_key (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, "win.retrain", NULL, 0);
  add_key (widget_class, GDK_KEY_l, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.prelabel-all",
           NULL, 0);
  add_key (widget_class, GDK_KEY_L, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.prelabel-all",
           NULL, 0);
  add_key (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "win.mark-reviewed", NULL, 0);
  add_key (widget_class, GDK_KEY_Page_Down, 0, "win.navigate", "i", 1);
  add_key (widget_class, GDK_KEY_Page_Up, 0, "win.navigate", "i", -1);
  add_key (widget_class, GDK_KEY_d, 0, "win.navigate", "i", 1);
  add_key (widget_class, GDK_KEY_a, 0, "win.navigate", "i", -1);
  static const guint digits[] = { GDK_KEY_1, GDK_KEY_2, GDK_KEY_3, GDK_KEY_4, GDK_KEY_5,
                                  GDK_KEY_6, GDK_KEY_7, GDK_KEY_8, GDK_KEY_9, GDK_KEY_0 };
  static const guint kp_digits[] = { GDK_KEY_KP_1, GDK_KEY_KP_2, GDK_KEY_KP_3, GDK_KEY_KP_4,
                                     GDK_KEY_KP_5, GDK_KEY_KP_6, GDK_KEY_KP_7, GDK_KEY_KP_8,
                                     GDK_KEY_KP_9, GDK_KEY_KP_0 };
  for (int i = 0; i < 10; i++)
    {
      add_key (widget_class, digits[i], 0, "win.select-class", "i", i);
      add_key (widget_class, kp_digits[i], 0, "win.select-class", "i", i);
    }
  add_key (widget_class, GDK_KEY_bracketleft, 0, "win.brush-size", "i", -1);
  add_key (widget_class, GDK_KEY_bracketright, 0, "win.brush-size", "i", 1);
  add_key (widget_class, GDK_KEY_o, 0, "win.toggle-overlay", NULL, 0);
  add_key (widget_class, GDK_KEY_v, 0, "win.cycle-view", NULL, 0);
  add_key (widget_class, GDK_KEY_plus, 0, "win.zoom-in", NULL, 0);
  add_key (widget_class, GDK_KEY_equal, 0, "win.zoom-in", NULL, 0);
  add_key (widget_class, GDK_KEY_KP_Add, 0, "win.zoom-in", NULL, 0);
  add_key (widget_class, GDK_KEY_minus, 0, "win.zoom-out", NULL, 0);
  add_key (widget_class, GDK_KEY_KP_Subtract, 0, "win.zoom-out", NULL, 0);
  add_key (widget_class, GDK_KEY_0, GDK_CONTROL_MASK, "win.zoom-fit", NULL, 0);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_b, 0, "win.tool", "s", "brush");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, 0, "win.tool", "s", "eraser");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, 0, "win.tool", "s", "fill");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_p, 0, "win.tool", "s", "polygon");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_i, 0, "win.tool", "s",
                                       "eyedropper");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_x, 0, "win.protect", NULL);
}

static void
relabel_window_init (RelabelWindow *self)
{
  /* the tool buttons read the "tool" property while the template is built */
  self->tool = g_strdup ("brush");
  self->palette_values = g_array_new (FALSE, FALSE, sizeof (int));
  gtk_widget_init_template (GTK_WIDGET (self));

  self->store = g_list_store_new (RELABEL_TYPE_IMAGE_ITEM);
  self->filter = gtk_custom_filter_new (filter_item, self, NULL);
  self->sorter = gtk_custom_sorter_new (compare_items, self, NULL);
  GtkFilterListModel *filtered = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->store)),
                                                            GTK_FILTER (self->filter));
  GtkSortListModel *sorted = gtk_sort_list_model_new (G_LIST_MODEL (filtered),
                                                      GTK_SORTER (self->sorter));
  self->selection = gtk_single_selection_new (G_LIST_MODEL (sorted));
  gtk_single_selection_set_can_unselect (self->selection, FALSE);
  g_signal_connect (self->selection, "notify::selected-item", G_CALLBACK (on_selection_changed),
                    self);

  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (self->retrain_switch, "clicked", G_CALLBACK (on_retrain_switch_clicked),
                    self);
  g_signal_connect (self->retrain_bar, "response", G_CALLBACK (on_retrain_bar_response), self);
  g_signal_connect (factory, "setup", G_CALLBACK (row_setup), self);
  g_signal_connect (factory, "bind", G_CALLBACK (row_bind), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (row_unbind), self);
  gtk_list_view_set_factory (self->image_list, factory);
  g_object_unref (factory);
  gtk_list_view_set_model (self->image_list, GTK_SELECTION_MODEL (self->selection));

  g_signal_connect (self->sort_dropdown, "notify::selected", G_CALLBACK (on_sort_changed), self);
  g_signal_connect_swapped (self->filter_dropdown, "notify::selected",
                            G_CALLBACK (on_filter_changed), self);
  g_signal_connect_swapped (self->search_entry, "search-changed", G_CALLBACK (on_filter_changed),
                            self);
  g_signal_connect (self->view_dropdown, "notify::selected", G_CALLBACK (on_view_changed), self);
  g_signal_connect (self->brush_adjustment, "value-changed", G_CALLBACK (on_brush_changed), self);
  g_signal_connect (self->opacity_adjustment, "value-changed", G_CALLBACK (on_opacity_changed),
                    self);
  g_signal_connect (self->palette_list, "row-selected", G_CALLBACK (on_palette_row_selected),
                    self);
  g_signal_connect (self->canvas, "stroke-finished", G_CALLBACK (on_stroke_finished), self);

  /* the session: the window shows what it owns */
  self->session = rl_session_new ();
  g_signal_connect (self->session, "project-opened", G_CALLBACK (on_project_opened), self);
  g_signal_connect (self->session, "image-loaded", G_CALLBACK (on_image_loaded), self);
  g_signal_connect (self->session, "mask-changed", G_CALLBACK (on_mask_changed), self);
  g_signal_connect (self->session, "prediction-changed", G_CALLBACK (on_prediction_changed),
                    self);
  g_signal_connect (self->session, "image-changed", G_CALLBACK (on_image_changed), self);
  g_signal_connect (self->session, "thumbnail", G_CALLBACK (on_thumbnail), self);
  g_signal_connect (self->session, "notice", G_CALLBACK (on_notice), self);
  g_signal_connect (self->session, "error", G_CALLBACK (on_session_error), self);
  g_signal_connect (self->session, "job-progress", G_CALLBACK (on_job_progress), self);
  g_signal_connect (self->session, "job-finished", G_CALLBACK (on_job_finished), self);
  g_signal_connect (self->session, "rescored", G_CALLBACK (on_rescored), self);
  g_signal_connect_swapped (self->session, "notify::busy", G_CALLBACK (finish_close), self);
  relabel_suspects_panel_attach (self->suspects_panel, self->session, self->canvas);
  g_signal_connect (self->suspects_panel, "go-to-image", G_CALLBACK (on_suspect_go_to_image),
                    self);
  g_signal_connect (self->canvas, "pointer-moved", G_CALLBACK (on_pointer_moved), self);
  g_signal_connect (self->canvas, "class-picked", G_CALLBACK (on_class_picked), self);
  g_signal_connect_swapped (self->canvas, "zoom-changed", G_CALLBACK (update_status), self);
  g_signal_connect (self->canvas, "view-changed", G_CALLBACK (on_canvas_view_changed), self);

  relabel_canvas_set_brush_radius (self->canvas, gtk_adjustment_get_value (self->brush_adjustment));
  relabel_canvas_set_opacity (self->canvas, gtk_adjustment_get_value (self->opacity_adjustment));

  /* The frame-clock test asks for every frame gap (ms) to be written to a file. */
  const char *log = g_getenv ("RELABEL_FRAME_LOG");
  if (log != NULL && log[0] != '\0')
    {
      self->frame_log = fopen (log, "a");   /* the test appends its own markers */
      if (self->frame_log != NULL)
        gtk_widget_add_tick_callback (GTK_WIDGET (self), on_frame_tick, NULL, NULL);
    }
  update_actions (self);
  update_status (self);
}

RelabelWindow *
relabel_window_new (GtkApplication *app, GSettings *settings)
{
  RelabelWindow *self = g_object_new (RELABEL_TYPE_WINDOW, "application", app, NULL);
  if (settings != NULL)
    {
      self->settings = g_object_ref (settings);
      g_signal_connect_object (settings, "changed::recent-projects",
                               G_CALLBACK (update_recent_menu), self, G_CONNECT_SWAPPED);
      update_recent_menu (self);
      gtk_adjustment_set_value (self->opacity_adjustment,
                                g_settings_get_double (settings, "overlay-opacity"));
    }
  return self;
}
