/* Train New Model… (relabel-new-model-dialog.h). */
#define G_LOG_DOMAIN "relabel-new-model"

#include "relabel-new-model-dialog.h"

struct _RelabelNewModelDialog
{
  GtkWindow parent_instance;

  char *camvid_model;
  guint n_labelled;
  RelabelNewModelStart start;
  gpointer start_data;

  GtkDropDown *arch, *init;
  GtkSpinButton *epochs;
  GtkCheckButton *current, *image_norm;
  GtkLabel *steps, *status;
  GtkButton *train_button;
};

G_DEFINE_FINAL_TYPE (RelabelNewModelDialog, relabel_new_model_dialog, GTK_TYPE_WINDOW)

static const char *const archs[] = { "segnet-basic", "segnet", NULL };
enum { BATCH = 4, DEFAULT_STEPS = 2000 };

int
relabel_new_model_steps (int epochs, guint n_images, int batch)
{
  int per_epoch = n_images == 0 ? 1 : (int) ((n_images + (guint) batch - 1) / (guint) batch);
  return MAX (1, epochs * per_epoch);
}

static void
update (RelabelNewModelDialog *self)
{
  int epochs = gtk_spin_button_get_value_as_int (self->epochs);
  int steps = relabel_new_model_steps (epochs, self->n_labelled, BATCH);
  int batch = MIN (BATCH, (int) MAX (self->n_labelled, 1u));
  g_autofree char *text =
    self->n_labelled == 0 ? g_strdup ("")
                          : g_strdup_printf ("%d step%s of %d image%s", steps,
                                             steps == 1 ? "" : "s", batch, batch == 1 ? "" : "s");
  gtk_label_set_text (self->steps, text);
  /* the CamVid model's layers fit SegNet-Basic only */
  gboolean basic = gtk_drop_down_get_selected (self->arch) == 0;
  gtk_widget_set_sensitive (GTK_WIDGET (self->init), basic && self->camvid_model != NULL);
  if (!basic)
    gtk_drop_down_set_selected (self->init, 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->train_button), self->n_labelled > 0);
}

/* Layers trained on the CamVid model's input keep its normalisation (the trainer takes the
 * source model's): with that start the box cannot choose another. */
static void
on_start_changed (RelabelNewModelDialog *self)
{
  gboolean from_camvid = gtk_drop_down_get_selected (self->init) == 1;
  if (from_camvid)
    gtk_check_button_set_active (self->image_norm, FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->image_norm), !from_camvid);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->image_norm),
                               from_camvid ? "Starting from the CamVid model's layers keeps the "
                                             "CamVid model's colour normalisation."
                                           : "The model sees every image rescaled to the same "
                                             "mean and contrast per colour channel, in training "
                                             "and when it pre-labels. Off: one normalisation "
                                             "from the training images, as the CamVid model "
                                             "uses.");
}

static void
update_from_text (RelabelNewModelDialog *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->epochs));
  char *end;
  gint64 v = g_ascii_strtoll (text, &end, 10);
  if (end != text && *end == '\0' && v >= 1 && v <= 10000
      && v != gtk_spin_button_get_value_as_int (self->epochs))
    gtk_spin_button_update (self->epochs);
  update (self);
}

static void
on_train (RelabelNewModelDialog *self)
{
  if (self->n_labelled == 0)
    return;
  RlNewModelOptions opt;
  rl_new_model_options_init (&opt);
  opt.train.arch = archs[gtk_drop_down_get_selected (self->arch)];
  opt.train.iters = relabel_new_model_steps (gtk_spin_button_get_value_as_int (self->epochs),
                                             self->n_labelled, opt.train.batch);
  if (gtk_drop_down_get_selected (self->init) == 1 && self->camvid_model != NULL)
    opt.train.init_encoder = self->camvid_model;
  opt.make_current = gtk_check_button_get_active (self->current);
  /* from the CamVid model's layers: its own normalisation (-1), whatever it is */
  if (opt.train.init_encoder != NULL)
    opt.train.input_norm = -1;
  else
    opt.train.input_norm = gtk_check_button_get_active (self->image_norm) ? RL_INPUT_NORM_IMAGE
                                                                          : RL_INPUT_NORM_DATASET;
  RelabelNewModelStart start = self->start;
  gpointer data = self->start_data;
  gtk_window_destroy (GTK_WINDOW (self));
  if (start != NULL)
    start (&opt, data);
}

static GtkWidget *
row (GtkGrid *grid, int r, const char *label, GtkWidget *w)
{
  GtkWidget *l = gtk_label_new_with_mnemonic (label);
  gtk_label_set_xalign (GTK_LABEL (l), 1);
  gtk_label_set_yalign (GTK_LABEL (l), 0);
  if (gtk_widget_get_focusable (w) || GTK_IS_DROP_DOWN (w) || GTK_IS_SPIN_BUTTON (w))
    gtk_label_set_mnemonic_widget (GTK_LABEL (l), w);
  gtk_grid_attach (grid, l, 0, r, 1, 1);
  gtk_widget_set_hexpand (w, TRUE);
  gtk_grid_attach (grid, w, 1, r, 1, 1);
  return w;
}

static GtkWidget *
wrapped (const char *text)
{
  GtkWidget *l = gtk_label_new (text);
  gtk_label_set_wrap (GTK_LABEL (l), TRUE);
  gtk_label_set_xalign (GTK_LABEL (l), 0);
  gtk_label_set_max_width_chars (GTK_LABEL (l), 50);
  return l;
}

RelabelNewModelDialog *
relabel_new_model_dialog_new (GtkWindow *parent, RlSession *session, guint n_labelled,
                              const char *camvid_model, RelabelNewModelStart start,
                              gpointer data)
{
  RelabelNewModelDialog *self = g_object_new (RELABEL_TYPE_NEW_MODEL_DIALOG,
                                              "transient-for", parent, "modal", TRUE,
                                              "title", "Train New Model", "default-width", 520,
                                              NULL);
  self->camvid_model = g_strdup (camvid_model);
  self->n_labelled = n_labelled;
  self->start = start;
  self->start_data = data;

  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  g_object_set (box, "margin-start", 18, "margin-end", 18, "margin-top", 18, "margin-bottom",
                18, NULL);
  GtkGrid *grid = GTK_GRID (gtk_grid_new ());
  gtk_grid_set_row_spacing (grid, 8);
  gtk_grid_set_column_spacing (grid, 12);

  const char *arch_names[] = { "SegNet-Basic (1.4 M parameters)", "SegNet (VGG16 encoder, slow)",
                               NULL };
  self->arch = GTK_DROP_DOWN (row (grid, 0, "_Architecture",
                                   gtk_drop_down_new_from_strings (arch_names)));
  const char *init_names[] = { "Random weights (from scratch)",
                               "The CamVid model's layers (a new classifier)", NULL };
  self->init = GTK_DROP_DOWN (row (grid, 1, "_Start from",
                                   gtk_drop_down_new_from_strings (init_names)));

  /* the classes: the project's, all of them */
  const RlClassSpec *spec = rl_session_get_class_spec (session);
  g_autoptr (GString) cls = g_string_new (NULL);
  if (spec != NULL)
    {
      int shown = 0, n = 0;
      for (int c = 0; c < spec->n_classes; c++)
        if (c != spec->ignore_index)
          n++;
      g_string_append_printf (cls, "%d classes from the project (%s): ", n, spec->id);
      for (int c = 0; c < spec->n_classes && shown < 8; c++)
        if (c != spec->ignore_index)
          g_string_append_printf (cls, "%s%s", shown++ ? ", " : "", spec->classes[c].name);
      if (n > shown)
        g_string_append (cls, ", …");
    }
  else
    g_string_append (cls, "The project has no classes yet");
  row (grid, 2, "Classes", wrapped (cls->str));
  g_autofree char *imgs =
    n_labelled > 0 ? g_strdup_printf ("%u labelled image%s (pre-labelled from the dataset, "
                                      "corrected or reviewed)", n_labelled,
                                      n_labelled == 1 ? "" : "s")
                   : g_strdup ("No labelled images: label or correct some first");
  GtkWidget *imgs_label = row (grid, 3, "Trains on", wrapped (imgs));
  if (n_labelled == 0)
    gtk_widget_add_css_class (imgs_label, "error");

  /* how long: epochs, the recipe's 2000 steps by default */
  int per_epoch = relabel_new_model_steps (1, n_labelled, BATCH);
  int def = CLAMP ((DEFAULT_STEPS + per_epoch - 1) / per_epoch, 1, 10000);
  self->epochs = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (1, 10000, 1));
  gtk_spin_button_set_numeric (self->epochs, TRUE);
  gtk_spin_button_set_value (self->epochs, def);
  GtkWidget *how = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_box_append (GTK_BOX (how), GTK_WIDGET (self->epochs));
  self->steps = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->steps), "dim-label");
  gtk_box_append (GTK_BOX (how), GTK_WIDGET (self->steps));
  GtkWidget *l = gtk_label_new_with_mnemonic ("_Epochs");
  gtk_label_set_xalign (GTK_LABEL (l), 1);
  gtk_label_set_mnemonic_widget (GTK_LABEL (l), GTK_WIDGET (self->epochs));
  gtk_grid_attach (grid, l, 0, 4, 1, 1);
  gtk_grid_attach (grid, how, 1, 4, 1, 1);
  /* the user asked for this model: by default it becomes the one that pre-labels (the previous
   * version stays in the project; the dashboard switches back) */
  self->current = GTK_CHECK_BUTTON (
    gtk_check_button_new_with_mnemonic ("Make it the project's c_urrent model"));
  gtk_check_button_set_active (self->current, TRUE);
  gtk_grid_attach (grid, GTK_WIDGET (self->current), 1, 5, 1, 1);
  /* input_norm "image" (resources/models/README.md, "Dusk: per-image input standardisation"):
   * the model standardises each image's colours before it looks, so a darker or brighter scene
   * than the training images' is less foreign to it */
  self->image_norm = GTK_CHECK_BUTTON (gtk_check_button_new_with_mnemonic (
    "Standardise each _image's colours (steadier under other lighting)"));
  gtk_grid_attach (grid, GTK_WIDGET (self->image_norm), 1, 6, 1, 1);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (grid));

  self->status = GTK_LABEL (wrapped ("Random crops, flips and colour jitter; the last weights "
                                     "become a new model version, with the images it trained on. "
                                     "Progress and Cancel are in the window's status bar."));
  gtk_widget_add_css_class (GTK_WIDGET (self->status), "dim-label");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->status));

  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_widget_set_halign (buttons, GTK_ALIGN_END);
  GtkWidget *cancel = gtk_button_new_with_mnemonic ("_Cancel");
  self->train_button = GTK_BUTTON (gtk_button_new_with_mnemonic ("_Train"));
  gtk_widget_add_css_class (GTK_WIDGET (self->train_button), "suggested-action");
  g_signal_connect_swapped (cancel, "clicked", G_CALLBACK (gtk_window_destroy), self);
  g_signal_connect_swapped (self->train_button, "clicked", G_CALLBACK (on_train), self);
  gtk_box_append (GTK_BOX (buttons), cancel);
  gtk_box_append (GTK_BOX (buttons), GTK_WIDGET (self->train_button));
  gtk_box_append (GTK_BOX (box), buttons);
  gtk_window_set_child (GTK_WINDOW (self), box);
  gtk_window_set_default_widget (GTK_WINDOW (self), GTK_WIDGET (self->train_button));

  g_signal_connect_swapped (self->epochs, "value-changed", G_CALLBACK (update), self);
  /* typed digits count before Enter: the steps follow the text */
  g_signal_connect_swapped (self->epochs, "changed", G_CALLBACK (update_from_text), self);
  g_signal_connect_swapped (self->arch, "notify::selected", G_CALLBACK (update), self);
  /* (the architecture's change resets the start, which notifies too) */
  g_signal_connect_swapped (self->init, "notify::selected", G_CALLBACK (on_start_changed), self);
  /* Return anywhere trains (the spin button activates the default) */
  GtkEditable *text = gtk_editable_get_delegate (GTK_EDITABLE (self->epochs));
  if (GTK_IS_TEXT (text))
    gtk_text_set_activates_default (GTK_TEXT (text), TRUE);
  update (self);
  on_start_changed (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->epochs));
  return self;
}

static void
relabel_new_model_dialog_finalize (GObject *object)
{
  RelabelNewModelDialog *self = RELABEL_NEW_MODEL_DIALOG (object);
  g_free (self->camvid_model);
  G_OBJECT_CLASS (relabel_new_model_dialog_parent_class)->finalize (object);
}

static void
relabel_new_model_dialog_class_init (RelabelNewModelDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = relabel_new_model_dialog_finalize;
  gtk_widget_class_add_binding_action (GTK_WIDGET_CLASS (klass), GDK_KEY_Escape, 0,
                                       "window.close", NULL);
}

static void
relabel_new_model_dialog_init (RelabelNewModelDialog *self)
{
}
