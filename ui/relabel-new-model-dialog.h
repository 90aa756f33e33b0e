/* "Train New Model…": the settings of a new model from the project's labels (architecture, the
 * layers it starts from, how many epochs), the classes and the labelled images it will train
 * on. Train hands the options to the window, which runs the job in its jobs area
 * (rl-session-new-model.h) and closes this. Reads only what the session already holds: no SQL,
 * no engine. */
#pragma once

#include <gtk/gtk.h>

#include "rl-new-model.h"
#include "rl-session.h"

G_BEGIN_DECLS

#define RELABEL_TYPE_NEW_MODEL_DIALOG (relabel_new_model_dialog_get_type ())
G_DECLARE_FINAL_TYPE (RelabelNewModelDialog, relabel_new_model_dialog, RELABEL,
                      NEW_MODEL_DIALOG, GtkWindow)

/* Called when Train is pressed, with the options (valid during the call only). */
typedef void (*RelabelNewModelStart) (const RlNewModelOptions *opt, gpointer data);

/* n_labelled: the project's labelled images (what the job trains on). camvid_model: the shipped
 * CamVid model's file, offered as a start (NULL: not offered). */
RelabelNewModelDialog *relabel_new_model_dialog_new (GtkWindow *parent, RlSession *session,
                                                     guint n_labelled, const char *camvid_model,
                                                     RelabelNewModelStart start, gpointer data);

/* The number of optimizer steps for epochs over n images in batches of batch (at least 1). */
int relabel_new_model_steps (int epochs, guint n_images, int batch);

G_END_DECLS
