/* relabel paint/fill/undo/redo: scripted mask edits through the edit function the GUI's session
 * uses (rl-edit.h, rl_project_apply_edit); each is one undoable step, committed on return. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-options.h"
#include "relabel-cli.h"
#include "rl-project.h"

static int
usage (const char *cmd, const char *msg)
{
  fprintf (stderr, "relabel %s: %s\n", cmd, msg);
  return 2;
}

static int
fail (GError *error)
{
  fprintf (stderr, "relabel: %s\n", error->message);
  return 1;
}

typedef struct
{
  char *project;
  char *image;
  char *cls;
  double radius;
  char *stroke;
  char *at;
  gboolean protect;
} EditArgs;

static void
edit_args_clear (EditArgs *a)
{
  g_free (a->project);
  g_free (a->image);
  g_free (a->cls);
  g_free (a->stroke);
  g_free (a->at);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (EditArgs, edit_args_clear)

/* Parses the options of `cmd`; returns 0 or the usage exit status. */
static int
parse (const char *cmd, int argc, char **argv, EditArgs *a)
{
  gboolean is_paint = strcmp (cmd, "paint") == 0, is_fill = strcmp (cmd, "fill") == 0;
  const GOptionEntry common[] = {
    { "project", 0, 0, G_OPTION_ARG_FILENAME, &a->project, "Project file", "P" },
    { "image", 0, 0, G_OPTION_ARG_STRING, &a->image, "Image name, with or without extension",
      "NAME" },
    { NULL }
  };
  const GOptionEntry paint[] = {
    { "class", 0, 0, G_OPTION_ARG_STRING, &a->cls, "Class index or name", "C" },
    { "radius", 0, 0, G_OPTION_ARG_DOUBLE, &a->radius, "Brush radius in pixels", "R" },
    { "stroke", 0, 0, G_OPTION_ARG_STRING, &a->stroke,
      "Pixel positions \"x,y x,y ...\" (pixel (x, y)'s centre)", "POINTS" },
    { "protect", 0, 0, G_OPTION_ARG_NONE, &a->protect,
      "Protect other classes: change only pixels of the class under the first point, or void "
      "(the GUI's X)", NULL },
    { NULL }
  };
  const GOptionEntry fill[] = {
    { "class", 0, 0, G_OPTION_ARG_STRING, &a->cls, "Class index or name", "C" },
    { "at", 0, 0, G_OPTION_ARG_STRING, &a->at, "Pixel X,Y inside the region", "X,Y" },
    { "protect", 0, 0, G_OPTION_ARG_NONE, &a->protect,
      "Protect other classes (as for paint; a fill covers one class, so it changes nothing)",
      NULL },
    { NULL }
  };
  g_autofree char *summary = g_strdup_printf ("- %s", is_paint ? "paint a brush stroke"
                                              : is_fill ? "flood-fill a region"
                                              : strcmp (cmd, "undo") == 0 ? "undo the last edit"
                                              : "redo the last undone edit");
  g_autoptr (GOptionContext) ctx = g_option_context_new (summary);
  g_option_context_add_main_entries (ctx, common, NULL);
  if (is_paint)
    g_option_context_add_main_entries (ctx, paint, NULL);
  if (is_fill)
    g_option_context_add_main_entries (ctx, fill, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return usage (cmd, error->message);
  if (argc != 1)
    return usage (cmd, "unexpected argument (see --help)");
  if (a->project == NULL || a->image == NULL)
    return usage (cmd, "--project and --image are required");
  if ((is_paint || is_fill) && a->cls == NULL)
    return usage (cmd, "--class is required");
  if (is_paint && (a->stroke == NULL || !(a->radius > 0) || !isfinite (a->radius)))
    return usage (cmd, "--stroke and a --radius > 0 are required");
  if (is_fill && a->at == NULL)
    return usage (cmd, "--at X,Y is required");
  return 0;
}

static int
run (const char *cmd, int argc, char **argv)
{
  g_auto (EditArgs) a = { 0 };
  int rc = parse (cmd, argc, argv, &a);
  if (rc != 0)
    return rc;

  /* Parse the geometry before touching the project. */
  g_autoptr (GArray) xy = g_array_new (FALSE, FALSE, sizeof (double));
  if (a.stroke != NULL)
    {
      if (!rl_cli_parse_points (a.stroke, xy))
        return usage (cmd, "--stroke wants points \"x,y x,y ...\"");
    }
  int ax = 0, ay = 0;
  if (a.at != NULL)
    {
      double x, y;
      if (!rl_cli_parse_point (a.at, &x, &y) || x != floor (x) || y != floor (y)
          || fabs (x) > G_MAXINT || fabs (y) > G_MAXINT)
        return usage (cmd, "--at wants integer pixel coordinates X,Y");
      ax = (int) x;
      ay = (int) y;
    }

  g_autoptr (GError) error = NULL;
  g_autoptr (RlProject) project = rl_project_open (a.project, FALSE, &error);
  if (project == NULL)
    return fail (error);
  g_autoptr (RlImageInfo) info = rl_project_find_image (project, a.image, &error);
  if (info == NULL)
    return fail (error);
  int cls = 0;
  if (a.cls != NULL)
    {
      cls = rl_cli_parse_class (a.cls, rl_project_get_class_spec (project));
      if (cls < 0)
        {
          fprintf (stderr, "relabel: %s: unknown class '%s'\n", a.project, a.cls);
          return 1;
        }
    }

  guint changed = 0;
  gboolean done = FALSE;
  gboolean ok;
  if (strcmp (cmd, "paint") == 0 || strcmp (cmd, "fill") == 0)
    {
      /* the same edit the GUI's brush and fill send to the session (rl-edit.h) */
      gboolean paint = strcmp (cmd, "paint") == 0;
      g_autoptr (RlEdit) edit = rl_edit_new (paint ? RL_EDIT_STROKE : RL_EDIT_FILL, cmd);
      double at[2] = { ax, ay };
      edit->cls = cls;
      edit->radius = a.radius;
      edit->protect = a.protect ? RL_PROTECT_ANCHOR : RL_PROTECT_NONE;
      if (paint)
        rl_edit_set_points (edit, (const double *) xy->data, (int) xy->len / 2);
      else
        rl_edit_set_points (edit, at, 1);
      ok = rl_project_apply_edit (project, info->id, edit, &changed, &error);
    }
  else if (strcmp (cmd, "undo") == 0)
    ok = rl_project_undo (project, info->id, &done, &error);
  else
    ok = rl_project_redo (project, info->id, &done, &error);
  if (!ok)
    return fail (error);

  if (strcmp (cmd, "paint") == 0 || strcmp (cmd, "fill") == 0)
    printf ("%s: %s: %u pixel%s changed to class %d\n", a.project, info->name, changed,
            changed == 1 ? "" : "s", cls);
  else
    printf ("%s: %s: %s\n", a.project, info->name,
            done ? (strcmp (cmd, "undo") == 0 ? "undone" : "redone")
                 : (strcmp (cmd, "undo") == 0 ? "nothing to undo" : "nothing to redo"));
  return 0;
}

int rl_cmd_paint (int argc, char **argv) { return run ("paint", argc, argv); }
int rl_cmd_fill (int argc, char **argv) { return run ("fill", argc, argv); }
int rl_cmd_undo (int argc, char **argv) { return run ("undo", argc, argv); }
int rl_cmd_redo (int argc, char **argv) { return run ("redo", argc, argv); }
