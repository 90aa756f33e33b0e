/* The bundled demo project: five CamVid images with their labels and the shipped SegNet-Basic
 * model, built on first use. Runs on the session's writer thread, never on the GTK thread. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The file name of the shipped model under <data_dir>/models/. */
#define RL_DEMO_MODEL "segnet-basic-camvid.safetensors"

/* Makes sure the demo project exists at path: when it does not, imports <data_dir>/demo (a
 * CamVid layout) and registers <data_dir>/models/RL_DEMO_MODEL (when present) under a temporary
 * name, then renames it to path, so an interrupted first run never leaves a half demo. When it
 * exists already, nothing is done. FALSE with error (naming the file) on failure. */
gboolean rl_demo_ensure (const char *path, const char *data_dir, GError **error);

G_END_DECLS
