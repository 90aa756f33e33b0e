/* The annotation workspace window: wires the image list, canvas, palette and toolbar to the
 * project (every stroke committed at its end), runs pre-label/retrain/import jobs, shows errors. */
#include "relabel-window-private.h"
#include "relabel-study-view.h"

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

void
show_error (RelabelWindow *self, const GError *error)
{
  relabel_window_show_message (self, GTK_MESSAGE_ERROR, error->message);
}

static void
on_info_response (GtkInfoBar *bar, int response, RelabelWindow *self)
{
  gtk_info_bar_set_revealed (bar, FALSE);
}

void
frame_log (RelabelWindow *self, const char *line)
{
  if (self->frame_log != NULL)
    {
      fprintf (self->frame_log, "%s\n", line);
      fflush (self->frame_log);
    }
}

/* ---- the shown image */

void
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
  relabel_window_request_highlight (self);
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
on_boundary_errors (RlSession *session, gint64 id, RelabelWindow *self)
{
  if (id == self->current_id && relabel_canvas_has_image (self->canvas))
    relabel_canvas_set_boundary_errors (self->canvas, rl_session_get_boundary_errors (session));
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
      int w = 0, h = 0;
      const guint8 *pred = NULL;
      if (rl_session_get_image (self->session, &w, &h, NULL, NULL, NULL, &pred) && pred != NULL
          && x >= 0 && y >= 0 && x < w && y < h)
        {
          guint8 p = pred[(gsize) y * w + x];
          const char *pname = spec != NULL && p < spec->n_classes
                              && rl_class_spec_is_class (spec, p) ? spec->classes[p].name
                                                                  : "void";
          const guint8 *conf = rl_session_get_confidence (self->session);
          g_autofree char *sure = conf != NULL
            ? g_strdup_printf (", %d %% sure", (conf[(gsize) y * w + x] * 100 + 127) / 255)
            : g_strdup ("");
          g_autofree char *with = g_strdup_printf ("%s   predicted %s (%d)%s",
                                                   self->pointer_text, pname, p, sure);
          g_free (self->pointer_text);
          self->pointer_text = g_steal_pointer (&with);
        }
    }
  update_status (self);
  g_log ("relabel-pointer", G_LOG_LEVEL_DEBUG, "status: %s",
         gtk_label_get_text (self->status_label));
}

static void
on_tools_notice (RelabelTools *tools, const char *text, RelabelWindow *self)
{
  gtk_label_set_text (self->status_label, text);
}

static void
select_palette_value (RelabelWindow *self, int value)
{
  relabel_palette_select_value (self->palette, value);
}

static void
on_tools_class_chosen (RelabelTools *tools, int value, RelabelWindow *self)
{
  select_palette_value (self, value);
}

static void
on_class_picked (RelabelCanvas *canvas, int value, RelabelWindow *self)
{
  select_palette_value (self, value);
}

static void
on_palette_class_selected (RelabelPalette *palette, int value, RelabelWindow *self)
{
  relabel_canvas_set_class (self->canvas, value);
}

static void
build_palette (RelabelWindow *self, const RlClassSpec *spec)
{
  relabel_palette_set_spec (self->palette, spec);
  g_autofree char *line = g_strdup_printf ("# palette %u classes",
                                           relabel_palette_get_n_classes (self->palette));
  frame_log (self, line);
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

void
relabel_window_open_demo (RelabelWindow *self, const char *path, const char *data_dir)
{
  g_return_if_fail (RELABEL_IS_WINDOW (self));
  rl_session_open_demo (self->session, path, data_dir);
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
  relabel_tools_set_spec (self->tools, spec);
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
  g_clear_object (&self->tools);
  if (self->session != NULL)
    {
      rl_session_shutdown (self->session);
      g_signal_handlers_disconnect_by_data (self->session, self);
      g_clear_object (&self->session);
    }
  g_clear_object (&self->settings);
  g_clear_pointer (&self->only_names, g_hash_table_unref);
  g_clear_object (&self->selection);
  g_clear_object (&self->store);
  gtk_widget_dispose_template (GTK_WIDGET (self), RELABEL_TYPE_WINDOW);
  G_OBJECT_CLASS (relabel_window_parent_class)->dispose (object);
}

static void
relabel_window_finalize (GObject *object)
{
  RelabelWindow *self = RELABEL_WINDOW (object);
  g_free (self->tool);
  g_free (self->pointer_text);
  if (self->frame_log != NULL)
    fclose (self->frame_log);
  relabel_debug_clear (&self->debug);
  G_OBJECT_CLASS (relabel_window_parent_class)->finalize (object);
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
  g_type_ensure (RELABEL_TYPE_PALETTE);
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
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, palette);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, image_info_label);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, recent_menu);
  gtk_widget_class_bind_template_child (widget_class, RelabelWindow, paned);
  gtk_widget_class_bind_template_callback (widget_class, on_info_response);

  /* actions and their shortcuts: relabel-window-actions.c */
  relabel_window_install_actions (widget_class);
}

static void
relabel_window_init (RelabelWindow *self)
{
  /* the tool buttons read the "tool" property while the template is built */
  self->tool = g_strdup ("brush");
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
  g_signal_connect (self->palette, "class-selected", G_CALLBACK (on_palette_class_selected),
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
  g_signal_connect (self->session, "boundary-errors", G_CALLBACK (on_boundary_errors), self);
  g_signal_connect_swapped (self->session, "notify::busy", G_CALLBACK (finish_close), self);
  relabel_suspects_panel_attach (self->suspects_panel, self->session, self->canvas);
  g_signal_connect (self->suspects_panel, "go-to-image", G_CALLBACK (on_suspect_go_to_image),
                    self);
  g_signal_connect (self->canvas, "pointer-moved", G_CALLBACK (on_pointer_moved), self);
  g_signal_connect (self->canvas, "class-picked", G_CALLBACK (on_class_picked), self);
  g_signal_connect_swapped (self->canvas, "zoom-changed", G_CALLBACK (update_status), self);
  g_signal_connect (self->canvas, "view-changed", G_CALLBACK (on_canvas_view_changed), self);
  relabel_window_install_dashboard (self);
  self->tools = relabel_tools_new (self->session, self->canvas);
  relabel_tools_attach (self->tools, GTK_WIDGET (self),
                        gtk_widget_get_parent (GTK_WIDGET (self->view_dropdown)));
  g_signal_connect (self->tools, "notice", G_CALLBACK (on_tools_notice), self);
  g_signal_connect (self->tools, "class-chosen", G_CALLBACK (on_tools_class_chosen), self);

  relabel_canvas_set_brush_radius (self->canvas, gtk_adjustment_get_value (self->brush_adjustment));
  relabel_canvas_set_opacity (self->canvas, gtk_adjustment_get_value (self->opacity_adjustment));

  /* The frame-clock test asks for every frame gap (ms) to be written to a file
   * (RELABEL_DEBUG=frame-log=PATH). */
  relabel_debug_parse (&self->debug);
  if (self->debug.frame_log != NULL)
    {
      self->frame_log = fopen (self->debug.frame_log, "a");   /* the test appends its markers */
      if (self->frame_log != NULL)
        gtk_widget_add_tick_callback (GTK_WIDGET (self), on_frame_tick, NULL, NULL);
    }
  if (self->debug.study != NULL)
    relabel_study_view_open (GTK_WINDOW (self), self->session, self->debug.study);
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
